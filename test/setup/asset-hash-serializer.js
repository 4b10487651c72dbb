/**
 * Hides asset hashes in snapshots, so editing a handler changes its bundle but not the stack's snapshot.
 * (After cdk-monitoring-constructs' test/setup: the template's shape is the contract, not the bytes.)
 */
const HASH = /[a-f0-9]{64}(\.zip|\.json)?/g;

module.exports = {
  test: (value) => typeof value === 'string' && /[a-f0-9]{64}/.test(value),
  serialize: (value, config, indentation, depth, refs, printer) =>
    printer(
      value.replace(HASH, (_m, ext) => `[ASSET HASH]${ext ?? ''}`),
      config,
      indentation,
      depth,
      refs,
    ),
};
