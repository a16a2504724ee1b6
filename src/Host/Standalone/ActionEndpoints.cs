using Perf.Invoker.Json;
using Perf.Invoker.Model;
using Perf.Invoker.Store;

namespace Perf.Invoker.Host.Standalone;

/// <summary><c>…/actions</c>: list, and create or update, get and delete one action of the caller's namespace.</summary>
internal sealed class ActionEndpoints(SqliteActionStore actions, ActionValidation validation, ActionResolver resolver)
{
    /// <summary>
    /// OpenWhisk's limit on an action document, code included (48 MiB), less room for the /init envelope: the runtime
    /// takes bodies up to 48 MiB (as OpenWhisk's does), and /init carries the code, as escaped as the document had it,
    /// plus the name, main and environment (a few KiB). At the full 48 MiB an action would be stored but never start.
    /// </summary>
    public const int MaxActionBytes = (48 * 1024 * 1024) - (64 * 1024);

    public async Task ListAsync(HttpContext context, NamespaceKey key)
    {
        if (!RequestReader.TryPaging(context, out int limit, out int skip, out string? error))
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, error);
            return;
        }

        IReadOnlyList<StoredAction> list = await actions.ListAsync(key.Namespace, limit, skip, context.RequestAborted);
        await ApiResponses.WriteArrayAsync(context, list, static action => Describe(action, includeCode: false));
    }

    public async Task PutAsync(HttpContext context, NamespaceKey key)
    {
        if (!RequestReader.TryName(context, out string? name))
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, ApiErrors.BadName("action", name));
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

        ActionSpec spec;
        try
        {
            spec = JsonModel.Read<ActionSpec>(body);
        }
        catch (JsonReadException e)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, ApiErrors.Malformed(e.Message));
            return;
        }

        if (SequenceRunner.IsSequence(spec))
        {
            (ActionSpec? sequence, int status, string? refused) = await SequenceValidation.CheckAsync(resolver, key.Namespace, name, spec, context.RequestAborted);
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

        if (await actions.PutAsync(key.Namespace, name, spec, overwrite, context.RequestAborted) is not { } stored)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status409Conflict, ApiErrors.Conflict);
            return;
        }

        await ApiResponses.WriteAsync(context, StatusCodes.Status200OK, Describe(stored, includeCode: true));
    }

    public async Task GetAsync(HttpContext context, NamespaceKey key)
    {
        if (!RequestReader.TryFlag(context.Request.Query, "code", out bool includeCode, out string? badFlag, absent: true))
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, badFlag);
            return;
        }

        if (await FindAsync(actions, context, key) is { } action)
        {
            await ApiResponses.WriteAsync(context, StatusCodes.Status200OK, Describe(action, includeCode));
        }
    }

    public async Task DeleteAsync(HttpContext context, NamespaceKey key)
    {
        if (await FindAsync(actions, context, key) is not { } action)
        {
            return;
        }

        if (!await actions.DeleteAsync(key.Namespace, action.Name, context.RequestAborted))
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status404NotFound, ApiErrors.NotFound);
            return;
        }

        await ApiResponses.WriteAsync(context, StatusCodes.Status200OK, Describe(action, includeCode: false));
    }

    /// <summary>The action the path names, or null after answering 400 (not a name) or 404; invoking looks it up the same way.</summary>
    public static async ValueTask<StoredAction?> FindAsync(SqliteActionStore actions, HttpContext context, NamespaceKey key)
    {
        if (!RequestReader.TryName(context, out string? name))
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, ApiErrors.BadName("action", name));
            return null;
        }

        StoredAction? action = await actions.GetAsync(key.Namespace, name, context.RequestAborted);
        if (action is null)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status404NotFound, ApiErrors.NotFound);
        }

        return action;
    }

    /// <summary>The action as OpenWhisk shows it: every limit filled in, the code only when asked for.</summary>
    private static ActionSpec Describe(StoredAction action, bool includeCode)
    {
        ExecutableAction executable = action.Executable;
        bool sequence = SequenceRunner.IsSequence(action.Spec);
        return new ActionSpec
        {
            Namespace = action.Namespace,
            Name = action.Name,
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
            Parameters = action.Spec.Parameters ?? [],
            Annotations = action.Spec.Annotations ?? [],
            Publish = action.Spec.Publish ?? false,
        };
    }
}
