// Every test sees the same zone, so timestamps written into notes are predictable.
process.env.TZ = 'UTC';
