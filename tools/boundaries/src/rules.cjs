// The package boundaries as dependency-cruiser rules, generated from the workspace's own
// package.json files so the rules can never drift from what each package declares:
//   1. an import of another workspace package (@sparkwire/x) needs x in the importing
//      package's "dependencies" (product code) or "dependencies"/"devDependencies" (tests);
//   2. no relative import reaches into another package's folder;
//   3. product code (libs/*, apps/* outside tests) never imports test code: test files,
//      test/ folders, or anything under testing/;
//   4. libraries never import applications;
//   5. a third-party import is declared in the importing package's own package.json, and
//      product code does not depend on a devDependency.
// CommonJS because dependency-cruiser loads its configuration with require().
const { readFileSync, readdirSync, existsSync } = require('node:fs');
const { join } = require('node:path');

const GROUPS = ['libs', 'apps', 'testing', 'tools'];
/** Files that are tests or test support inside a package (not shipped, may use devDependencies). */
const TEST_FILE = '(\\.test\\.[cm]?[jt]s$|/test/|/fuzz/|/vitest\\.config\\.[cm]?ts$)';

// An import by package name of a workspace package. With combinedDependencies off (each file is
// held against its own package.json, which has no "workspaces" field), dependency-cruiser
// reports such imports as 'undetermined' rather than 'aliased-workspace'; both are accepted,
// and the resolved path says it is one of ours.
const WORKSPACE_IMPORT = ['aliased-workspace', 'undetermined'];
const WORKSPACE_PATH = `^(${GROUPS.join('|')})/`;

const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Workspace packages: { name, dir, deps, devDeps } from every group/<folder>/package.json. */
function workspacePackages(root) {
  const out = [];
  for (const group of GROUPS) {
    const g = join(root, group);
    if (!existsSync(g)) continue;
    for (const d of readdirSync(g, { withFileTypes: true })) {
      const file = join(g, d.name, 'package.json');
      if (!d.isDirectory() || !existsSync(file)) continue;
      const pkg = JSON.parse(readFileSync(file, 'utf8'));
      out.push({
        name: pkg.name,
        dir: `${group}/${d.name}`,
        deps: Object.keys(pkg.dependencies ?? {}),
        devDeps: Object.keys(pkg.devDependencies ?? {}),
      });
    }
  }
  return out;
}

function makeRuleSet(root) {
  const pkgs = workspacePackages(root);
  const dirOf = new Map(pkgs.map((p) => [p.name, p.dir]));
  const dirsOf = (names) => names.map((n) => dirOf.get(n)).filter(Boolean).map((d) => `^${esc(d)}/`);
  const forbidden = [];
  for (const p of pkgs) {
    const own = `^${esc(p.dir)}/`;
    const prodAllowed = [own, ...dirsOf(p.deps)].join('|');
    const testAllowed = [own, ...dirsOf([...p.deps, ...p.devDeps])].join('|');
    forbidden.push(
      {
        name: 'undeclared-workspace-dependency',
        comment: `${p.dir} imports a workspace package its package.json does not list in "dependencies"`,
        severity: 'error',
        from: { path: own, pathNot: TEST_FILE },
        to: { dependencyTypes: WORKSPACE_IMPORT, path: WORKSPACE_PATH, pathNot: prodAllowed },
      },
      {
        name: 'undeclared-workspace-dependency',
        comment: `a test of ${p.dir} imports a workspace package its package.json does not list in "dependencies" or "devDependencies"`,
        severity: 'error',
        from: { path: `${own}.*${TEST_FILE}` },
        to: { dependencyTypes: WORKSPACE_IMPORT, path: WORKSPACE_PATH, pathNot: testAllowed },
      },
      {
        name: 'relative-import-across-packages',
        comment: `${p.dir} reaches into another package by a relative path: import it by its package name and declare it`,
        severity: 'error',
        from: { path: own },
        to: { dependencyTypes: ['local'], dependencyTypesNot: ['aliased', 'aliased-workspace'], pathNot: `${own}|node_modules` },
      },
    );
  }
  forbidden.push(
    {
      name: 'undeclared-package',
      comment: "a third-party package the importing package's package.json does not declare",
      severity: 'error',
      from: {},
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'product-uses-dev-dependency',
      comment: 'product code imports a package declared only in devDependencies: it would be missing where the package is installed',
      severity: 'error',
      from: { path: '^(libs|apps)/', pathNot: TEST_FILE },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'product-imports-test-code',
      comment: 'product code (libs/*, apps/* outside tests) must not import tests, test folders or testing/',
      severity: 'error',
      from: { path: '^(libs|apps)/', pathNot: TEST_FILE },
      to: { path: `${TEST_FILE}|^testing/` },
    },
    {
      name: 'library-imports-application',
      comment: 'libraries are below applications: libs/* never imports apps/*',
      severity: 'error',
      from: { path: '^libs/' },
      to: { path: '^apps/' },
    },
  );
  return {
    forbidden,
    options: {
      doNotFollow: { path: 'node_modules' },
      // Build output and generated code of our own packages; never a path inside node_modules
      // (a package's own dist/ is what an import of it resolves to).
      exclude: { path: '^(libs|apps|testing|tools)/[^/]+/(dist|target|\\.venv[^/]*|\\.cache)/|^libs/proto/src/gen/|^libs/python/' },
      tsPreCompilationDeps: true,
      // Each file is held against its own package's package.json, not the root's.
      combinedDependencies: false,
      tsConfig: { fileName: join(root, 'tsconfig.base.json') },
      enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], mainFields: ['main', 'types'] },
    },
  };
}

module.exports = { makeRuleSet, workspacePackages, GROUPS };
