import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/**
 * Module hooks that let a child `node` process run the broker's TypeScript sources, as vitest does in
 * the test process: a relative `.js` specifier resolves to the `.ts` beside it, and `.ts` is
 * transpiled with the TypeScript compiler (types stripped, nothing checked). Passed as data: URLs so
 * the repository holds no untyped JavaScript. Used only by tests that need a real, killable process.
 */
const typescriptUrl = pathToFileURL(createRequire(import.meta.url).resolve('typescript')).href;

const hooks = `
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from ${JSON.stringify(typescriptUrl)};
export async function resolve(specifier, context, next) {
  if (specifier.startsWith('.') && specifier.endsWith('.js') && context.parentURL?.endsWith('.ts')) {
    const url = new URL(specifier.replace(/\\.js$/, '.ts'), context.parentURL);
    if (existsSync(fileURLToPath(url))) return { url: url.href, shortCircuit: true };
  }
  return next(specifier, context);
}
export async function load(url, context, next) {
  if (!url.endsWith('.ts')) return next(url, context);
  const source = await readFile(fileURLToPath(url), 'utf8');
  const out = ts.transpileModule(source, { fileName: fileURLToPath(url), compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true } });
  return { format: 'module', source: out.outputText, shortCircuit: true };
}
`;

const dataUrl = (source: string): string => `data:text/javascript,${encodeURIComponent(source)}`;

/** `execArgv` for fork(): run a `.ts` file of this repository, resolving `@ioc/*` to their sources. */
export const tsExecArgv = (): string[] => [
  '--conditions=@ioc/source',
  '--import',
  dataUrl(`import { register } from 'node:module'; register(${JSON.stringify(dataUrl(hooks))});`),
];
