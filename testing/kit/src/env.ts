/**
 * This process's environment without the variables whose names start with one of `prefixes`
 * (or are in `names`): a SPARKWIRE_* left in the developer's shell would otherwise configure
 * the process under test behind the test's back.
 */
export function envWithout(prefixes: string[] = ['SPARKWIRE_'], names: string[] = []): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !prefixes.some((p) => k.startsWith(p)) && !names.includes(k)));
}
