// Handlers log refusals on purpose; tests assert on responses, so keep their output readable.
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
