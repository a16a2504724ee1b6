using System.Diagnostics.CodeAnalysis;
using Perf.Invoker.Model;

namespace Perf.Invoker.Invocation;

/// <summary>
/// The outcome of <see cref="IActionSource.FindAsync"/>: the action, or the status and message OpenWhisk's invoker gives
/// the activation when it cannot have one (docs/cluster.md, "Actions from the entity database").
/// </summary>
public readonly struct ActionLookup
{
    /// <summary>The document is gone: the user deleted the action while it was being invoked.</summary>
    public const string NotFoundMessage = "Action could not be found or may have been deleted.";

    /// <summary>The document is there but cannot be read as an action this invoker runs (wrong type, unknown kind, bad JSON).</summary>
    public const string NotCompatibleMessage = "Action version is not compatible and cannot be invoked.";

    /// <summary>Any other failure: the database did not answer or refused, or the action is not executable (a sequence).</summary>
    public const string NotFetchedMessage = "Action could not be fetched.";

    private ActionLookup(ExecutableAction? action, ActivationStatus status, string? error)
    {
        Action = action;
        Status = status;
        Error = error;
    }

    /// <summary>OpenWhisk's answer to a deleted action: an application error, so the invoker still counts as healthy.</summary>
    public static ActionLookup NotFound { get; } = Failed(ActivationStatus.ApplicationError, NotFoundMessage);

    /// <summary>A whisk error: the controller counts it against the invoker's health.</summary>
    public static ActionLookup NotCompatible { get; } = Failed(ActivationStatus.WhiskError, NotCompatibleMessage);

    /// <summary>A whisk error: the controller counts it against the invoker's health.</summary>
    public static ActionLookup NotFetched { get; } = Failed(ActivationStatus.WhiskError, NotFetchedMessage);

    /// <summary>The action, when found.</summary>
    public ExecutableAction? Action { get; }

    /// <summary>The activation's status when not found (never <see cref="ActivationStatus.Success"/> then).</summary>
    public ActivationStatus Status { get; }

    /// <summary>The record's <c>result.error</c> when not found.</summary>
    public string? Error { get; }

    [MemberNotNullWhen(true, nameof(Action))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool IsFound => Action is not null;

    public static ActionLookup Found(ExecutableAction action)
    {
        ArgumentNullException.ThrowIfNull(action);
        return new ActionLookup(action, ActivationStatus.Success, null);
    }

    public static ActionLookup Failed(ActivationStatus status, string error)
    {
        ArgumentException.ThrowIfNullOrEmpty(error);
        if (status == ActivationStatus.Success)
        {
            throw new ArgumentOutOfRangeException(nameof(status), "A failed lookup is not a success.");
        }

        return new ActionLookup(null, status, error);
    }

    public override string ToString() => IsFound ? Action.Path : $"{Status}: {Error}";
}
