/**
 * Reading a file that came with a repository (a tasks file, a plan, a referenced file, a config): it may be
 * a symlink to /dev/zero, a FIFO that never ends, or gigabytes. Only a regular file is read, its size is
 * checked on the open handle before reading, and the read itself is bounded (the file may grow meanwhile).
 */
import { constants, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';

export type UnsafeFileProblem = 'not-regular' | 'too-large';

/** A file ACA refuses to read; `message` names the file and says why. */
export class UnsafeFileError extends Error {
  readonly reason = 'unsafe-file' as const;

  constructor(
    readonly file: string,
    readonly problem: UnsafeFileProblem,
    message: string,
    /** For 'too-large': the size found, when the file was already too large before it was read. */
    readonly size?: number,
  ) {
    super(message);
    this.name = 'UnsafeFileError';
  }

  static is(error: unknown): error is UnsafeFileError {
    return error instanceof Error && (error as Partial<UnsafeFileError>).reason === 'unsafe-file';
  }
}

export interface ReadOptions {
  /** Refuse (ELOOP) when the path itself is a symlink, for a path already resolved to its real one. */
  readonly noFollow?: boolean;
  /** More checks of the open file (its owner, its mode) after the type and size checks, before any byte is read: throw to refuse. */
  readonly check?: (info: Stats) => void;
}

export interface RegularFilePrefix {
  readonly bytes: Buffer;
  /** The file had more than the bytes returned. */
  readonly truncated: boolean;
}

/** The whole of a regular file of at most `maxBytes`; UnsafeFileError otherwise. fs errors (ENOENT…) pass through. */
export async function readRegularFile(file: string, maxBytes: number, options: ReadOptions = {}): Promise<Buffer> {
  return (await readBounded(file, maxBytes, false, options)).bytes;
}

/** At most the first `maxBytes` of a regular file, of any size. */
export async function readRegularFilePrefix(file: string, maxBytes: number, options: ReadOptions = {}): Promise<RegularFilePrefix> {
  return readBounded(file, maxBytes, true, options);
}

async function readBounded(file: string, maxBytes: number, prefixOnly: boolean, options: ReadOptions): Promise<RegularFilePrefix> {
  // O_NONBLOCK: opening a FIFO with no writer would otherwise wait forever (no effect on regular files).
  const noFollow = options.noFollow ? (constants.O_NOFOLLOW ?? 0) : 0;
  const handle = await open(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | noFollow);
  try {
    const info = await handle.stat();
    if (!info.isFile()) {
      throw new UnsafeFileError(file, 'not-regular', `${file} is not a regular file (a device, a FIFO, a socket or a folder); it was not read`);
    }
    if (!prefixOnly && info.size > maxBytes) {
      throw tooLarge(file, maxBytes, info.size);
    }
    options.check?.(info);
    // One byte more than allowed tells a file that is over the limit from one that fits; the buffer grows
    // (up to that) only when the file grew since the stat.
    let buffer = Buffer.alloc(Math.min(maxBytes, info.size) + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) {
        break;
      }
      length += bytesRead;
      if (length === buffer.length) {
        if (length > maxBytes) {
          break;
        }
        buffer = Buffer.concat([buffer, Buffer.alloc(Math.min(buffer.length, maxBytes + 1 - buffer.length))]);
      }
    }
    const truncated = length > maxBytes;
    if (truncated && !prefixOnly) {
      throw tooLarge(file, maxBytes);
    }
    return { bytes: buffer.subarray(0, Math.min(length, maxBytes)), truncated };
  } finally {
    await handle.close();
  }
}

function tooLarge(file: string, maxBytes: number, size?: number): UnsafeFileError {
  const actual = size !== undefined ? `${size} bytes` : 'over the limit';
  return new UnsafeFileError(file, 'too-large', `${file} is ${actual}; files like it are limited to ${maxBytes} bytes`, size);
}
