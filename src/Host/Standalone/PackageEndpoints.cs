using Perf.Invoker.Json;
using Perf.Invoker.Model;
using Perf.Invoker.Store;

namespace Perf.Invoker.Host.Standalone;

/// <summary>
/// <c>…/packages</c>: list, and create or update, get and delete one package or binding of the caller's namespace, with
/// OpenWhisk's rules (Packages.scala): <c>default</c> is reserved, a binding must name an existing package (not a
/// binding, another namespace's only when published), a package never becomes a binding, and a package with actions
/// is not deleted.
/// </summary>
internal sealed class PackageEndpoints(SqlitePackageStore packages, SqliteActionStore actions)
{
    /// <summary>A package document is small (parameters and annotations); room for OpenWhisk's 1 MB of parameters.</summary>
    public const int MaxPackageBytes = 2 * 1024 * 1024;

    /// <summary>The most actions a GET of a package lists (OpenWhisk lists them all; this is far more than anyone has).</summary>
    private const int MaxListedActions = 10_000;

    public async Task ListAsync(HttpContext context, NamespaceKey key)
    {
        if (!RequestReader.TryPaging(context, out int limit, out int skip, out string? error) ||
            !RequestReader.TryFlag(context.Request.Query, "count", out bool count, out error))
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, error);
            return;
        }

        if (count)
        {
            long total = await packages.CountAsync(key.Namespace, context.RequestAborted);
            await ApiResponses.WriteCountAsync(context, "packages", Math.Max(0, total - skip));
            return;
        }

        IReadOnlyList<StoredPackage> list = await packages.ListAsync(key.Namespace, limit, skip, context.RequestAborted);
        await ApiResponses.WriteArrayAsync(context, list, PackageSummaryDocument.Of);
    }

    public async Task PutAsync(HttpContext context, NamespaceKey key)
    {
        if (await ReadNameAsync(context) is not { } name)
        {
            return;
        }

        if (name == ActionResolver.DefaultPackage)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, ApiErrors.PackageNameIsReserved(name));
            return;
        }

        if (!RequestReader.TryFlag(context.Request.Query, "overwrite", out bool overwrite, out string? badFlag))
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, badFlag);
            return;
        }

        if (await RequestReader.ReadBodyAsync(context, MaxPackageBytes) is not { } body)
        {
            return;
        }

        PackageSpec put;
        try
        {
            put = JsonModel.Read<PackageSpec>(body);
        }
        catch (JsonReadException e)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, ApiErrors.Malformed(e.Message));
            return;
        }

        // A binding to "_" binds the caller's own namespace (OpenWhisk's Binding.resolve).
        PackageBinding? binding = put.BoundPackage is { } given
            ? new PackageBinding { Namespace = given.Namespace == "_" ? key.Namespace : given.Namespace, Name = given.Name }
            : null;
        StoredPackage? existing = await packages.GetAsync(key.Namespace, name, context.RequestAborted);
        if (existing is not null && !overwrite)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status409Conflict, ApiErrors.Conflict);
            return;
        }

        if (binding is not null)
        {
            if (existing is not null && existing.Spec.BoundPackage is null)
            {
                await ApiResponses.ErrorAsync(context, StatusCodes.Status409Conflict, ApiErrors.PackageCannotBecomeBinding);
                return;
            }

            if (!await CheckBindingAsync(context, key, binding))
            {
                return;
            }
        }

        binding ??= existing?.Spec.BoundPackage;
        Parameter[] annotations = (put.Annotations ?? existing?.Spec.Annotations ?? []).Where(a => a.Key != "binding").ToArray();
        var spec = new PackageSpec
        {
            Binding = binding,
            Parameters = put.Parameters ?? existing?.Spec.Parameters ?? [],
            // OpenWhisk sets the binding annotation itself, for clients that list packages and cannot see bindings otherwise.
            Annotations = binding is null ? annotations : [.. annotations, new Parameter { Key = "binding", Value = RawJson.FromTrusted(JsonModel.ToUtf8Bytes(binding)) }],
            Publish = put.Publish ?? existing?.Spec.Publish ?? false,
            Version = put.Version,
        };

        if (await packages.PutAsync(key.Namespace, name, spec, overwrite: existing is not null, context.RequestAborted) is not { } stored)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status409Conflict, ApiErrors.Conflict);
            return;
        }

        await ApiResponses.WriteAsync(context, StatusCodes.Status200OK, PackageDocument.Of(stored, stored.Spec.Parameters ?? [], actions: null));
    }

    /// <summary>The package with its actions; a binding with its bound package's actions and their parameters merged under its own.</summary>
    public async Task GetAsync(HttpContext context, NamespaceKey key)
    {
        if (await ReadNameAsync(context) is not { } name)
        {
            return;
        }

        if (await packages.GetAsync(key.Namespace, name, context.RequestAborted) is not { } package)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status404NotFound, ApiErrors.NotFound);
            return;
        }

        StoredPackage provider = package;
        Parameter[] parameters = package.Spec.Parameters ?? [];
        if (package.Spec.BoundPackage is { } bound)
        {
            if (await packages.GetAsync(bound.Namespace!, bound.Name!, context.RequestAborted) is not { } target)
            {
                await ApiResponses.ErrorAsync(context, StatusCodes.Status404NotFound, ApiErrors.NotFound);
                return;
            }

            if (target.Namespace != key.Namespace && target.Spec.Publish != true)
            {
                await ApiResponses.ErrorAsync(context, StatusCodes.Status403Forbidden, ApiErrors.Forbidden);
                return;
            }

            provider = target;
            parameters = ActionResolver.Merge(target.Spec.Parameters ?? [], parameters);
        }

        IReadOnlyList<StoredAction> inside = await actions.ListInPackageAsync(provider.Namespace, provider.Name, MaxListedActions, 0, context.RequestAborted);
        await ApiResponses.WriteAsync(context, StatusCodes.Status200OK, PackageDocument.Of(package, parameters, inside));
    }

    public async Task DeleteAsync(HttpContext context, NamespaceKey key)
    {
        if (await ReadNameAsync(context) is not { } name)
        {
            return;
        }

        if (await packages.GetAsync(key.Namespace, name, context.RequestAborted) is not { } package)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status404NotFound, ApiErrors.NotFound);
            return;
        }

        // A binding holds nothing; a package may go only once its actions have.
        if (package.Spec.BoundPackage is null && await actions.CountAsync(key.Namespace, name, context.RequestAborted) is var count and > 0)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status409Conflict, ApiErrors.PackageNotEmpty(count));
            return;
        }

        if (!await packages.DeleteAsync(key.Namespace, name, context.RequestAborted))
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status404NotFound, ApiErrors.NotFound);
            return;
        }

        await ApiResponses.WriteAsync(context, StatusCodes.Status200OK, PackageDocument.Of(package, package.Spec.Parameters ?? [], actions: null));
    }

    /// <summary>
    /// OpenWhisk's checkBinding and its entitlement check: the bound package exists (400), is not itself a binding (400)
    /// and, in another namespace, is published (403). False after answering.
    /// </summary>
    private async ValueTask<bool> CheckBindingAsync(HttpContext context, NamespaceKey key, PackageBinding binding)
    {
        bool owner = binding.Namespace == key.Namespace;
        if (!ApiPaths.IsEntityName(binding.Namespace!) || !ApiPaths.IsEntityName(binding.Name!) ||
            await packages.GetAsync(binding.Namespace!, binding.Name!, context.RequestAborted) is not { } target)
        {
            await ApiResponses.ErrorAsync(context, owner ? StatusCodes.Status400BadRequest : StatusCodes.Status403Forbidden, owner ? ApiErrors.BindingDoesNotExist : ApiErrors.Forbidden);
            return false;
        }

        if (!owner && target.Spec.Publish != true)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status403Forbidden, ApiErrors.Forbidden);
            return false;
        }

        if (target.Spec.BoundPackage is not null)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, ApiErrors.BindingCannotReferenceBinding);
            return false;
        }

        return true;
    }

    private static async ValueTask<string?> ReadNameAsync(HttpContext context)
    {
        if (!RequestReader.TryName(context, out string name))
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, ApiErrors.BadName("package", name));
            return null;
        }

        return name;
    }
}
