using Perf.Invoker.Model;

namespace Perf.Invoker.Store;

/// <summary>
/// Finds the action a name addresses, as OpenWhisk's controller does (WhiskActionMetaData.resolveActionAndMergeParameters):
/// <c>NAME</c> (or <c>default/NAME</c>, OpenWhisk's name for no package) is an action of the namespace; <c>P/NAME</c> is
/// action NAME of package P, and when P is a binding, the action of the package it binds. The parameters an activation
/// starts from are merged on the way: the package's, overridden by the binding's, overridden by the action's own
/// (the invoke's own then override these). One method for every caller: invoke, sequences, web actions, rules.
/// </summary>
public sealed class ActionResolver(SqliteActionStore actions, SqlitePackageStore packages)
{
    /// <summary>The package name OpenWhisk reserves for "no package" (web action paths say <c>default/NAME</c>).</summary>
    public const string DefaultPackage = "default";

    /// <param name="namespace">The namespace the name is in.</param>
    /// <param name="name"><c>NAME</c>, <c>default/NAME</c> or <c>P/NAME</c>.</param>
    /// <param name="caller">
    /// The namespace asking, when it may differ from <paramref name="namespace"/>: another namespace's package is then
    /// readable only when published, and its actions outside packages never (OpenWhisk's entitlement). Null: the owner.
    /// </param>
    public async ValueTask<ResolvedAction> ResolveAsync(string @namespace, string name, string? caller = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(@namespace);
        ArgumentNullException.ThrowIfNull(name);
        int slash = name.IndexOf('/');
        if (slash < 0 || name[..slash] == DefaultPackage)
        {
            string plain = slash < 0 ? name : name[(slash + 1)..];
            if (caller is not null && caller != @namespace)
            {
                return ResolvedAction.Forbidden;
            }

            return await actions.GetAsync(@namespace, plain, cancellationToken).ConfigureAwait(false) is { } action
                ? new ResolvedAction(ResolveStatus.Found, action, action.Spec.Parameters ?? [], binding: null)
                : ResolvedAction.NotFound;
        }

        string packageName = name[..slash];
        string actionName = name[(slash + 1)..];
        bool owner = caller is null || caller == @namespace;
        if (await packages.GetAsync(@namespace, packageName, cancellationToken).ConfigureAwait(false) is not { } package)
        {
            // OpenWhisk: a missing package is 404 to its owner and 403 to anyone else (no leak of what exists).
            return owner ? ResolvedAction.NotFound : ResolvedAction.Forbidden;
        }

        Parameter[] bindingParameters = [];
        string? bindingPath = null;
        if (package.Spec.BoundPackage is { } bound)
        {
            if (!owner)
            {
                return ResolvedAction.Forbidden;
            }

            bindingParameters = package.Spec.Parameters ?? [];
            bindingPath = package.Path;
            bool boundOwner = bound.Namespace == @namespace;
            if (await packages.GetAsync(bound.Namespace!, bound.Name!, cancellationToken).ConfigureAwait(false) is not { } target ||
                target.Spec.BoundPackage is not null)
            {
                return boundOwner ? ResolvedAction.NotFound : ResolvedAction.Forbidden;
            }

            if (!boundOwner && target.Spec.Publish != true)
            {
                return ResolvedAction.Forbidden;
            }

            package = target;
        }
        else if (!owner && package.Spec.Publish != true)
        {
            return ResolvedAction.Forbidden;
        }

        if (await actions.GetAsync(package.Namespace, $"{package.Name}/{actionName}", cancellationToken).ConfigureAwait(false) is not { } found)
        {
            return ResolvedAction.NotFound;
        }

        Parameter[] merged = Merge(Merge(package.Spec.Parameters ?? [], bindingParameters), found.Spec.Parameters ?? []);
        return new ResolvedAction(ResolveStatus.Found, found, merged, bindingPath);
    }

    /// <summary>OpenWhisk's <c>Parameters ++</c>: <paramref name="over"/>'s values replace <paramref name="under"/>'s of the same key.</summary>
    public static Parameter[] Merge(Parameter[] under, Parameter[] over)
    {
        if (over.Length == 0)
        {
            return under;
        }

        if (under.Length == 0)
        {
            return over;
        }

        var merged = new List<Parameter>(under.Length + over.Length);
        foreach (Parameter parameter in under)
        {
            if (Array.FindIndex(over, p => p.Key == parameter.Key) < 0)
            {
                merged.Add(parameter);
            }
        }

        merged.AddRange(over);
        return [.. merged];
    }
}

/// <summary>What a name resolved to: OpenWhisk answers 404 to <see cref="NotFound"/> and 403 to <see cref="Forbidden"/>.</summary>
public enum ResolveStatus
{
    Found,
    NotFound,
    Forbidden,
}

/// <summary>An action found by <see cref="ActionResolver"/>, with the parameters an activation of it starts from.</summary>
public sealed class ResolvedAction
{
    public static readonly ResolvedAction NotFound = new(ResolveStatus.NotFound, null, [], null);
    public static readonly ResolvedAction Forbidden = new(ResolveStatus.Forbidden, null, [], null);

    public ResolvedAction(ResolveStatus status, StoredAction? action, Parameter[] parameters, string? binding)
    {
        Status = status;
        Action = action;
        Parameters = parameters;
        Binding = binding;
    }

    public ResolveStatus Status { get; }

    /// <summary>The stored action (in the bound package when reached through a binding); null unless found.</summary>
    public StoredAction? Action { get; }

    /// <summary>Package &lt; binding &lt; action parameters, merged: the defaults an invoke's own parameters override.</summary>
    public Parameter[] Parameters { get; }

    /// <summary>The binding it was reached through (<c>guest/B</c>), or null.</summary>
    public string? Binding { get; }
}
