/**
 * The edges a node plugs in: {@link dev.raftflow.engine.spi.Transport} (best-effort one-way messages,
 * bounded buffering, a largest message size) and {@link dev.raftflow.engine.spi.LogStore} (durable
 * writes of {@link dev.raftflow.engine.spi.LogWrite}s in order, recovery as {@link
 * dev.raftflow.engine.spi.PersistentState}), with the records they exchange.
 */
package dev.raftflow.engine.spi;
