namespace Perf.Invoker.Host.Engine;

/// <summary>
/// A setting missing, unknown or out of its range, or a part of the start that failed (the data directory, the store,
/// the address, a Kafka client): InvokerCommand prints its message as one line and exits with code 2, no stack trace.
/// </summary>
internal sealed class StartupException(string message, Exception? inner = null) : Exception(message, inner);
