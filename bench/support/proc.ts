import fs from 'node:fs';

// /proc counts CPU time in clock ticks, 100 per second on Linux.
const MS_PER_TICK = 10;

/** CPU time (user + system) a process has used so far, in ms, from /proc; null without /proc. */
export function processCpuMs(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // utime and stime are fields 14 and 15; the command name (field 2) may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * MS_PER_TICK;
  } catch {
    return null;
  }
}

/**
 * Busy and total core time of the whole machine so far, in ms over all cores (/proc/stat's first
 * line: user nice system idle iowait irq softirq steal; guest time is already in user and nice).
 * Null without /proc.
 */
export function machineCpuMs(): { busy: number; total: number } | null {
  try {
    const [user, nice, system, idle, iowait, irq, softirq, steal] = (
      fs.readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? ''
    )
      .trim()
      .split(/\s+/)
      .slice(1, 9)
      .map(Number) as number[];
    const busy = (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0);
    return { busy: busy * MS_PER_TICK, total: (busy + (idle ?? 0) + (iowait ?? 0)) * MS_PER_TICK };
  } catch {
    return null;
  }
}

/** A process' peak resident memory so far (VmHWM), in bytes; null without /proc. */
export function peakRssBytes(pid: number | undefined = process.pid): number | null {
  if (pid === undefined) return null;
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}
