// SPDY/3.1 for Kubernetes' streaming protocols: connections in either role over any byte stream, and the client's HTTP upgrade.
export { SpdyConnection, SpdyStream, StreamingError, RST_CANCEL, RST_PROTOCOL_ERROR, RST_REFUSED_STREAM, encodeHeaders, decodeHeaders, type SpdyConnectionOptions, type SpdyRole } from "./connection.js";
export { SPDY3_HEADER_DICTIONARY } from "./dictionary.js";
export { connectSpdy, offeredStreamProtocols, SPDY_UPGRADE, STREAM_PROTOCOL_HEADER } from "./upgrade.js";
