/**
 * What the platform code reads from the machine: installed packages, command output, shared
 * libraries (through `ldconfig -p` and LD_LIBRARY_PATH) and directory listings. Nothing here throws.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

/**
 * Version and directory of an installed package, found the way Node would find it from here
 * (reading its package.json directly, so packages whose `exports` hide package.json are found too).
 */
export function packageInfo(name: string): { version: string; dir: string } | undefined {
  for (const base of require.resolve.paths(name) ?? []) {
    const file = path.join(base, name, 'package.json');
    if (!fs.existsSync(file)) continue;
    try {
      const version = String((JSON.parse(fs.readFileSync(file, 'utf8')) as { version?: string }).version ?? 'unknown');
      return { version, dir: path.dirname(file) };
    } catch {
      return { version: 'unreadable package.json', dir: path.dirname(file) };
    }
  }
  return undefined;
}

/** An installed package's version, 'unknown' when it is not installed. */
export function packageVersion(name: string): string {
  return packageInfo(name)?.version ?? 'unknown';
}

/** stdout of a command, or undefined when it is absent, fails or runs past `timeoutMs`. */
export function commandOutput(cmd: string, args: string[], timeoutMs = 5000): string | undefined {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: timeoutMs });
  } catch {
    return undefined;
  }
}

/** Files in a directory; empty when it is absent or unreadable. */
export function listDir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

/** `ldconfig -p` (the dynamic linker's cache), undefined where ldconfig cannot be run. */
export function ldconfigCache(): string | undefined {
  for (const cmd of ['ldconfig', '/sbin/ldconfig', '/usr/sbin/ldconfig']) {
    const out = commandOutput(cmd, ['-p'], 10000);
    if (out !== undefined) return out;
  }
  return undefined;
}

/** Parses `ldconfig -p` into soname → paths. */
export function parseLdconfig(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /^\s*(\S+)\s+\(([^)]*)\)\s+=>\s+(\S+)/.exec(line);
    if (!m) continue;
    const list = out.get(m[1]) ?? [];
    list.push(m[3]);
    out.set(m[1], list);
  }
  return out;
}

/** A shared library looked up by soname in `ldconfig -p` and in LD_LIBRARY_PATH directories. */
export interface LibraryFact {
  soname: string;
  /** Where it was found (empty: not found). */
  paths: string[];
  /** Other versions of the same library that were found (e.g. libcudart.so.13 for .so.11.0). */
  otherVersions: string[];
  /** True for the libraries without which the component cannot work at all. */
  primary: boolean;
}

/** Looks a soname up in ldconfig's cache and in the LD_LIBRARY_PATH directories. */
export function findLibrary(
  soname: string,
  ldconfigText: string | undefined,
  ldLibraryPath: string | undefined,
  list: (dir: string) => string[] = listDir,
  primary = false,
): LibraryFact {
  const paths: string[] = [];
  const others = new Set<string>();
  const stem = soname.replace(/\.so.*$/, '.so');
  const consider = (name: string, where: string): void => {
    if (name === soname) paths.push(where);
    else if (name.startsWith(`${stem}.`)) others.add(name);
  };
  if (ldconfigText) {
    for (const [name, found] of parseLdconfig(ldconfigText)) for (const p of found) consider(name, p);
  }
  for (const dir of ldLibraryPathDirs(ldLibraryPath)) {
    for (const name of list(dir)) consider(name, path.join(dir, name));
  }
  return { soname, paths: [...new Set(paths)], otherVersions: [...others].sort(), primary };
}

export function ldLibraryPathDirs(ldLibraryPath: string | undefined): string[] {
  return (ldLibraryPath ?? '').split(':').filter(Boolean);
}

/**
 * The JSON a child process printed on a line of its own after `mark` (the last such line), or
 * undefined. Marking the line keeps it apart from whatever else the child's libraries print.
 */
export function markedJson<T>(stdout: string, mark: string): T | undefined {
  const line = stdout.split('\n').reverse().find((l) => l.startsWith(mark));
  if (line === undefined) return undefined;
  try {
    return JSON.parse(line.slice(mark.length)) as T;
  } catch {
    return undefined; // cut short (the child was killed mid-write)
  }
}
