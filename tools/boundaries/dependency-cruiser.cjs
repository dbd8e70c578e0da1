// dependency-cruiser configuration of the boundary check; the rules come from the
// workspace's package.json files (src/rules.cjs). Run from the repository root:
//   npx depcruise --config tools/boundaries/dependency-cruiser.cjs libs apps testing tools
const { join } = require('node:path');
module.exports = require('./src/rules.cjs').makeRuleSet(join(__dirname, '..', '..'));
