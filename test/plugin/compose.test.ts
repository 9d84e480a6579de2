// Validates docker-compose.yml with the docker-compose binary, which needs no Docker engine.
import { spawnSync } from 'child_process';
import { join } from 'path';

const repoRoot = join(__dirname, '..', '..');

describe('docker-compose.yml', () => {
  it('is a valid compose file', () => {
    const result = spawnSync('docker-compose', ['-f', join(repoRoot, 'docker-compose.yml'), 'config', '-q'], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    if (result.error) {
      throw new Error(`docker-compose could not run (${result.error.message}); install Debian's docker-compose package`);
    }
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
