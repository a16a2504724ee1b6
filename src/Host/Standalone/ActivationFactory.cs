using System.Globalization;
using Perf.Invoker.Json;
using Perf.Invoker.Model;
using Perf.Invoker.Store;

namespace Perf.Invoker.Host.Standalone;

/// <summary>
/// The activation message of an invoke, as OpenWhisk's controller sends it on <c>invoker&lt;N&gt;</c>
/// (docs/openwhisk.md §2): a new activation id, a transaction that starts when the request is accepted, and the
/// caller's identity with every right. The clock is injected so the start time can be pinned in a test.
/// </summary>
internal sealed class ActivationFactory(TimeProvider time)
{
    /// <summary>The standalone API stands in for controller 0; its acks stay in-process.</summary>
    private static readonly ControllerInstanceId s_controller = new() { AsString = "0", InstanceType = "controller" };

    /// <param name="cause">The activation that caused this one: a trigger's for the activations of its rules, a sequence's for each of its components.</param>
    /// <param name="binding">The package binding the action was reached through (<c>guest/B</c>): its records carry it.</param>
    public ActivationMessage Create(StoredAction action, NamespaceKey key, RawJson content, bool blocking, ActivationId? cause = null, string? binding = null) => new()
    {
        // A transaction id of its own, unrelated to the activation id, as the controller's are.
        Transid = new TransactionId { Id = ActivationId.NewId().ToString(), StartMillis = time.GetUtcNow().ToUnixTimeMilliseconds() },
        Action = new FullyQualifiedEntityName { Path = action.Path, Name = action.EntityName, Version = action.Executable.Version, Binding = binding },
        Revision = action.Revision.ToString(CultureInfo.InvariantCulture),
        User = new Identity
        {
            Subject = key.Namespace,
            Namespace = new Namespace { Name = key.Namespace, Uuid = key.Uuid },
            Authkey = new AuthKey { ApiKey = key.ApiKey },
            Rights = Privileges.All,
            Limits = RawJson.EmptyObject,
        },
        ActivationId = ActivationId.NewId(),
        RootControllerIndex = s_controller,
        Blocking = blocking,
        Content = content,
        Cause = cause,
    };
}
