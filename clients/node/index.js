'use strict';
const { SealpostClient } = require('./lib/client');
const { SealpostError } = require('./lib/errors');
const { createKeyFile, readKeyFile } = require('./lib/keyfile');
const { PROTOCOLS } = require('./lib/options');

module.exports = { SealpostClient, SealpostError, createKeyFile, readKeyFile, PROTOCOLS };
