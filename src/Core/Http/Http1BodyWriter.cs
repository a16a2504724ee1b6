using System.Buffers;

namespace Perf.Invoker.Http;

/// <summary>
/// Writes a request body straight into the connection's send buffer (a JSON writer over
/// <see cref="IBufferWriter{T}"/> fits as is). Called once per request, before a connection is taken
/// from the pool; the bytes it writes are reused as they are if the request is retried.
/// </summary>
public delegate void Http1BodyWriter<in TState>(IBufferWriter<byte> body, TState state);
