// How many compiler processes to run at once: one per core, as far as the free memory allows at
// about 600 MB each (g++ 12 takes up to ~400 MB on the kernel files): one on a 512 MB Raspberry Pi
// Zero 2, every core on a desktop. build-env.cjs (source builds) and kernel-tests.cjs use it.
const os = require('node:os');

const BYTES_PER_JOB = 600 * 1024 * 1024;

function compileJobs() {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(cores, Math.floor(os.freemem() / BYTES_PER_JOB)));
}

module.exports = { compileJobs };
