namespace Perf.Invoker.Feed;

/// <summary>
/// Runs one message to completion. The host parses it (<c>JsonModel.Read&lt;ActivationMessage&gt;</c>), looks up the
/// action and calls <c>ActivationInvoker.InvokeAsync</c>. The feed does not await it before taking the next message;
/// however the task ends (success, fault, cancellation) its credit and offset are given back exactly once.
/// </summary>
public delegate Task FeedHandler(FeedMessage message);
