// What the report says about the machine a run was measured on.
import { readFileSync } from 'fs';
import { cpus, loadavg, release, totalmem } from 'os';

function osName(): string {
  try {
    const match = /^PRETTY_NAME="?([^"\n]+)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'));
    return match ? match[1] : 'Linux';
  } catch {
    return 'Linux';
  }
}

export function describeMachine(): string[] {
  const cores = cpus();
  return [
    `${cores.length} × ${cores[0]?.model.trim() ?? 'unknown CPU'}`,
    `${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM`,
    `${osName()}, kernel ${release()}`,
    `Node.js ${process.version}`,
    `load average ${loadavg()[0].toFixed(2)} at the start`,
  ];
}
