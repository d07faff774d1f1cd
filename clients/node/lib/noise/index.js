'use strict';
module.exports = {
  ...require('./handshake_state'),
  ...require('./dh'),
  ...require('./cipher'),
};
