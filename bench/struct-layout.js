'use strict';
// The layouts the struct row uses, shared by the row and its child.
const { Struct } = require('..');

// The article's counter, with its lock: the count on its own cache line.
const Counter = Struct.define({ lock: 'mutex', pad: 'u8[48]', count: 'u64' });

// Fields read and written in one process.
const Fields = Struct.define({ hits: 'i32', ratio: 'f64', level: 'u8' });

module.exports = { Counter, Fields };
