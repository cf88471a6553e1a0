/**
 * Hops from a person: a message at this depth still runs, but calls nobody back and may not delegate.
 * Apart from messages/delegation.ts so a turn's MCP server knows it without loading the note code.
 */
export const MAX_DELEGATION_DEPTH = 8;
