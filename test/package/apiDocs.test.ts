import {
  Application,
  type DeclarationReflection,
  type ProjectReflection,
  TSConfigReader,
  TypeDocReader,
} from 'typedoc';
import { beforeAll, describe, expect, it } from 'vitest';
import { LINKED_BRANCH, REPOSITORY_URL } from '../../scripts/repositoryLinks.js';

// The API reference as typedoc.json configures it (converted, not rendered;
// .ci/run renders it and checks every link with scripts/check-doc-links.ts).
let project: ProjectReflection;

beforeAll(async () => {
  const app = await Application.bootstrapWithPlugins({ logLevel: 'Error' }, [
    new TypeDocReader(),
    new TSConfigReader(),
  ]);
  const converted = await app.convert();
  if (converted === undefined) throw new Error('typedoc could not convert the project');
  project = converted;
}, 120_000);

describe('the API reference', () => {
  it('names its modules by the import paths users write', () => {
    expect(project.children?.map((module) => module.name)).toEqual([
      'voice-mfa',
      'voice-mfa/audio',
      'voice-mfa/postgres',
      'voice-mfa/sqlite',
      'voice-mfa/twilio',
    ]);
  });

  it('opens with the README', () => {
    const readme = (project.readme ?? []).map((part) => part.text).join('');
    expect(readme.startsWith('# voice-mfa')).toBe(true);
    expect(readme).toContain('## Use it');
  });

  it('links every declaration to its source file in the repository', () => {
    const declarations = Object.values(project.reflections).filter(
      (reflection): reflection is DeclarationReflection => 'sources' in reflection && reflection.sources !== undefined,
    );
    const urls = declarations.flatMap((reflection) => reflection.sources?.map((source) => source.url) ?? []);
    expect(urls.length).toBeGreaterThan(100);
    const sourcePrefix = `${REPOSITORY_URL}/blob/${LINKED_BRANCH}/src/`;
    expect(urls.filter((url) => !url?.startsWith(sourcePrefix) || !/#L\d+$/.test(url))).toEqual([]);
  });
});
