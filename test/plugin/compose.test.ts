// Validates docker-compose.yml with the docker-compose binary (which needs no Docker engine), and
// checks it against what it runs: the Grafana version the plugin requires and the sidecar's flags.
import { spawnSync } from 'child_process';
import { existsSync, readFileSync } from 'fs';
import { join } from 'path';

import { OPTIONS } from '../../sidecar/src/config/config';

const repoRoot = join(__dirname, '..', '..');
const composeText = readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8');
const pluginJson = JSON.parse(readFileSync(join(repoRoot, 'plugin', 'src', 'plugin.json'), 'utf8'));

/** The lines of one service's block (services are indented by two spaces). */
function serviceBlock(name: string): string {
  const start = composeText.indexOf(`\n  ${name}:\n`);
  if (start < 0) {
    throw new Error(`docker-compose.yml has no service ${name}`);
  }
  const rest = composeText.slice(start + 1);
  const end = rest.slice(1).search(/\n {2}\S|\n\S/);
  return end < 0 ? rest : rest.slice(0, end + 1);
}

function flagsOf(block: string): string[] {
  return [...block.matchAll(/^\s+- (--[a-z-]+)\s*$/gm)].map((match) => match[1]);
}

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

  it("runs the Grafana version the plugin's grafanaDependency names, with the unsigned plugin allowed", () => {
    const grafana = serviceBlock('grafana');
    const minimum = String(pluginJson.dependencies.grafanaDependency).replace(/^>=/, '');
    expect(grafana).toContain(`image: grafana/grafana:${minimum}\n`);
    expect(grafana).toContain(`GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS: ${pluginJson.id}\n`);
    expect(grafana).toContain(`./plugin/dist:/var/lib/grafana/plugins/${pluginJson.id}`);
    expect(grafana).toContain('./provisioning:/etc/grafana/provisioning');
  });

  it("passes the sidecar only flags it knows, listening beyond localhost with both tokens", () => {
    const known = new Set(OPTIONS.map((option) => `--${option.flag}`));
    const flags = flagsOf(serviceBlock('sidecar'));
    expect(flags.filter((flag) => !known.has(flag))).toEqual([]);
    expect(flags).toEqual(expect.arrayContaining(['--data-dir', '--host', '--port', '--token-read', '--token-write']));
    expect(serviceBlock('sidecar')).toMatch(/- --host\n\s+- 0\.0\.0\.0\n/);
  });

  it('points the demo fleet at the sidecar with the write token, using flags the fleet knows', () => {
    const fleet = serviceBlock('fleet');
    expect(fleet).toContain('- sidecar/dist/fleet/cli.js');
    expect(flagsOf(fleet)).toEqual(['--url', '--devices', '--token']);
    const cli = join(repoRoot, 'sidecar', 'dist', 'fleet', 'cli.js');
    if (!existsSync(cli)) {
      throw new Error(`${cli} is missing: build the sidecar first (npm run build -w sidecar)`);
    }
    const help = spawnSync(process.execPath, [cli, '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    for (const flag of flagsOf(fleet)) {
      expect(help.stdout).toMatch(new RegExp(`^\\s+${flag} `, 'm'));
    }
    expect(fleet).toMatch(/- --token\n\s+- \$\{SENSORSTORE_TOKEN_WRITE/);
  });
});
