/**
 * The engine's wire encoding of Raft messages, shared by every transport that crosses a process
 * boundary: {@link dev.raftflow.engine.codec.MessageCodec} (a version byte, a type byte, varint
 * fields, length-checked strings and bytes), {@link dev.raftflow.engine.codec.Varint} (the integer
 * encoding, for framing layers built around the codec), and {@link
 * dev.raftflow.engine.codec.MessageSizes} (upper bounds of encoded sizes, against which a node's
 * options are checked so that a transport never splits or drops a message for its size).
 *
 * <p>Everything here is stateless and thread-safe. Decoding untrusted bytes fails with {@link
 * dev.raftflow.engine.codec.MalformedMessageException}, never with garbage or an allocation sized by
 * the input.
 */
package dev.raftflow.engine.codec;
