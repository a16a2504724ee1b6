using Perf.Invoker.Json;
using Perf.Invoker.Model;
using Perf.Invoker.Store;

namespace Perf.Invoker.Host.Standalone;

/// <summary>
/// <c>…/actions</c>: list (a namespace's, or one package's), and create or update, get and delete one action of the
/// caller's namespace, in a package too (<c>actions/P/NAME</c>, or <c>guest%2FP</c> as the namespace).
/// </summary>
internal sealed class ActionEndpoints(SqliteActionStore actions, SqlitePackageStore packages, ActionResolver resolver, QualifiedActions qualified, ActionValidation validation)
{
    /// <summary>
    /// OpenWhisk's limit on an action document, code included (48 MiB), less room for the /init envelope: the runtime
    /// takes bodies up to 48 MiB (as OpenWhisk's does), and /init carries the code, as escaped as the document had it,
    /// plus the name, main and environment (a few KiB). At the full 48 MiB an action would be stored but never start.
    /// </summary>
    public const int MaxActionBytes = (48 * 1024 * 1024) - (64 * 1024);

    public async Task ListAsync(HttpContext context, NamespaceKey key)
    {
        EntityPath.Root(RequestReader.Route(context, "namespace"), out string? package);
        await ListAsync(context, key, package);
    }

    public async Task PutAsync(HttpContext context, NamespaceKey key)
    {
        if (await ReadNameAsync(context) is not { } name || !await CheckPackageAsync(context, key, name))
        {
            return;
        }

        if (!RequestReader.TryFlag(context.Request.Query, "overwrite", out bool overwrite, out string? badFlag))
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, badFlag);
            return;
        }

        if (await RequestReader.ReadBodyAsync(context, MaxActionBytes) is not { } body)
        {
            return;
        }

        ActionPutDocument put;
        try
        {
            put = JsonModel.Read<ActionPutDocument>(body);
        }
        catch (JsonReadException e)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, ApiErrors.Malformed(e.Message));
            return;
        }

        // OpenWhisk merges an update into the stored action; without overwrite an existing one is a conflict.
        StoredAction? existing = await actions.GetAsync(key.Namespace, name, context.RequestAborted);
        if (existing is not null && !overwrite)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status409Conflict, ApiErrors.Conflict);
            return;
        }

        if (ActionUpdate.Apply(put, existing?.Spec) is not { } spec)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, ApiErrors.ExecUndefined);
            return;
        }

        if (SequenceRunner.IsSequence(spec))
        {
            (ActionSpec? sequence, int status, string? refused) = await SequenceValidation.CheckAsync(qualified, key.Namespace, name, spec, context.RequestAborted);
            if (sequence is null)
            {
                await ApiResponses.ErrorAsync(context, status, refused!);
                return;
            }

            spec = sequence;
        }
        else if (validation.Check(spec) is { } invalid)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, invalid);
            return;
        }

        if (await actions.PutAsync(key.Namespace, name, spec, overwrite: existing is not null, context.RequestAborted) is not { } stored)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status409Conflict, ApiErrors.Conflict);
            return;
        }

        await ApiResponses.WriteAsync(context, StatusCodes.Status200OK, Describe(stored, stored.Spec.Parameters ?? [], includeCode: true));
    }

    public async Task GetAsync(HttpContext context, NamespaceKey key)
    {
        // GET …/actions/P/ (a trailing slash): the actions of package P, as OpenWhisk's listPackageActions.
        if (context.Request.Path.Value?.EndsWith('/') == true && RequestReader.Route(context, "package").Length == 0)
        {
            if (await ReadNameAsync(context) is { } package)
            {
                await ListAsync(context, key, package);
            }

            return;
        }

        if (!RequestReader.TryFlag(context.Request.Query, "code", out bool includeCode, out string? badFlag, absent: true))
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, badFlag);
            return;
        }

        if (await FindAsync(resolver, context, key) is { Action: { } action } resolved)
        {
            // As OpenWhisk's fetch: the action with its package's (and binding's) parameters merged under its own.
            await ApiResponses.WriteAsync(context, StatusCodes.Status200OK, Describe(action, resolved.Parameters, includeCode));
        }
    }

    public async Task DeleteAsync(HttpContext context, NamespaceKey key)
    {
        if (await ReadNameAsync(context) is not { } name || !await CheckPackageAsync(context, key, name))
        {
            return;
        }

        if (await actions.GetAsync(key.Namespace, name, context.RequestAborted) is not { } action ||
            !await actions.DeleteAsync(key.Namespace, action.Name, context.RequestAborted))
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status404NotFound, ApiErrors.NotFound);
            return;
        }

        await ApiResponses.WriteAsync(context, StatusCodes.Status200OK, Describe(action, action.Spec.Parameters ?? [], includeCode: false));
    }

    /// <summary>
    /// The action the path names, resolved through its package and binding, or null after answering 400 (not a name),
    /// 403 (another namespace's package) or 404; invoking looks it up the same way.
    /// </summary>
    public static async ValueTask<ResolvedAction?> FindAsync(ActionResolver resolver, HttpContext context, NamespaceKey key)
    {
        if (await ReadNameAsync(context) is not { } name)
        {
            return null;
        }

        ResolvedAction resolved = await resolver.ResolveAsync(key.Namespace, name, cancellationToken: context.RequestAborted);
        switch (resolved.Status)
        {
            case ResolveStatus.Found:
                return resolved;
            case ResolveStatus.Forbidden:
                await ApiResponses.ErrorAsync(context, StatusCodes.Status403Forbidden, ApiErrors.Forbidden);
                return null;
            default:
                await ApiResponses.ErrorAsync(context, StatusCodes.Status404NotFound, ApiErrors.NotFound);
                return null;
        }
    }

    /// <summary>
    /// The stored name the path addresses: <c>NAME</c>, or <c>P/NAME</c> from <c>actions/P/NAME</c> or a namespace
    /// <c>guest/P</c>; <c>default/NAME</c> is <c>NAME</c>. Null after answering 400 when a part is not an entity name.
    /// </summary>
    private static async ValueTask<string?> ReadNameAsync(HttpContext context)
    {
        string name = RequestReader.Route(context, "name");
        string package = RequestReader.Route(context, "package");
        if (package.Length == 0)
        {
            EntityPath.Root(RequestReader.Route(context, "namespace"), out string? inNamespace);
            package = inNamespace ?? string.Empty;
        }

        if (!ApiPaths.IsEntityName(name) || (package.Length > 0 && !ApiPaths.IsEntityName(package)))
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, ApiErrors.BadName("action", package.Length > 0 ? $"{package}/{name}" : name));
            return null;
        }

        return package.Length == 0 || package == ActionResolver.DefaultPackage ? name : $"{package}/{name}";
    }

    /// <summary>
    /// For a change to an action in a package: the package exists (404) and is not a binding (400), as OpenWhisk checks.
    /// True for an action outside any package.
    /// </summary>
    private async ValueTask<bool> CheckPackageAsync(HttpContext context, NamespaceKey key, string name)
    {
        int slash = name.IndexOf('/');
        if (slash < 0)
        {
            return true;
        }

        StoredPackage? package = await packages.GetAsync(key.Namespace, name[..slash], context.RequestAborted);
        if (package is null)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status404NotFound, ApiErrors.NotFound);
            return false;
        }

        if (package.Spec.BoundPackage is not null)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, ApiErrors.NotAllowedOnBinding);
            return false;
        }

        return true;
    }

    /// <summary>The namespace's actions (OpenWhisk lists those in packages too), or one package's (a binding's: its bound package's).</summary>
    private async Task ListAsync(HttpContext context, NamespaceKey key, string? package)
    {
        if (!RequestReader.TryPaging(context, out int limit, out int skip, out string? error) ||
            !RequestReader.TryFlag(context.Request.Query, "count", out bool count, out error))
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, error);
            return;
        }

        string ns = key.Namespace;
        if (package is not null && package != ActionResolver.DefaultPackage)
        {
            if (await packages.GetAsync(ns, package, context.RequestAborted) is not { } stored)
            {
                await ApiResponses.ErrorAsync(context, StatusCodes.Status404NotFound, ApiErrors.NotFound);
                return;
            }

            if (stored.Spec.BoundPackage is { } bound)
            {
                if (bound.Namespace != ns && (await packages.GetAsync(bound.Namespace!, bound.Name!, context.RequestAborted))?.Spec.Publish != true)
                {
                    await ApiResponses.ErrorAsync(context, StatusCodes.Status403Forbidden, ApiErrors.Forbidden);
                    return;
                }

                (ns, package) = (bound.Namespace!, bound.Name!);
            }
        }
        else
        {
            package = null;
        }

        if (count)
        {
            long total = await actions.CountAsync(ns, package, context.RequestAborted);
            await ApiResponses.WriteCountAsync(context, "actions", Math.Max(0, total - skip));
            return;
        }

        IReadOnlyList<StoredAction> list = package is null
            ? await actions.ListAsync(ns, limit, skip, context.RequestAborted)
            : await actions.ListInPackageAsync(ns, package, limit, skip, context.RequestAborted);
        await ApiResponses.WriteArrayAsync(context, list, static action => Describe(action, action.Spec.Parameters ?? [], includeCode: false));
    }

    /// <summary>The action as OpenWhisk shows it: <c>namespace</c> with its package, every limit filled in, the code only when asked for.</summary>
    private static ActionSpec Describe(StoredAction action, Parameter[] parameters, bool includeCode)
    {
        ExecutableAction executable = action.Executable;
        bool sequence = SequenceRunner.IsSequence(action.Spec);
        return new ActionSpec
        {
            Namespace = action.Path,
            Name = action.EntityName,
            Version = executable.Version,
            Exec = new ActionExec
            {
                Kind = executable.Kind,
                Code = includeCode && !sequence ? executable.Code : null,
                Main = action.Spec.Exec.Main,
                Binary = sequence ? null : executable.Binary,
                Components = action.Spec.Exec.Components,
            },
            Limits = new ActionLimits
            {
                Timeout = executable.TimeoutMillis,
                Memory = executable.MemoryMegabytes,
                Logs = executable.LogsMegabytes,
                Concurrency = executable.Concurrency,
            },
            Parameters = parameters,
            Annotations = action.Spec.Annotations ?? [],
            Publish = action.Spec.Publish ?? false,
        };
    }
}
