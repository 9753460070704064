/**
 * A writer to standard output or error that survives the reader going away: `atoll domain list |
 * head` closes the pipe after a few lines, and the next write fails with EPIPE. From then on the
 * writer drops what it is given, so the command finishes its work quietly instead of dying with a
 * stack trace halfway.
 */
export function pipeSafe(stream: NodeJS.WritableStream): (s: string) => void {
  let open = true;
  stream.on("error", () => {
    // EPIPE or anything else that ends the stream: there is no one left to tell.
    open = false;
  });
  return (s) => {
    if (open) stream.write(s);
  };
}
