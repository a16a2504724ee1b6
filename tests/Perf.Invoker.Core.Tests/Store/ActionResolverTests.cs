using Perf.Invoker.Json;
using Perf.Invoker.Model;
using Perf.Invoker.Store;

namespace Perf.Invoker.Tests.Store;

[Trait("Category", "Unit")]
public sealed class ActionResolverTests : IDisposable
{
    private readonly TempDatabase _temp = new();
    private readonly SqliteActionStore _actions;
    private readonly SqlitePackageStore _packages;
    private readonly ActionResolver _resolver;

    public ActionResolverTests()
    {
        _actions = new SqliteActionStore(_temp.Database);
        _packages = new SqlitePackageStore(_temp.Database);
        _resolver = new ActionResolver(_actions, _packages);
    }

    public void Dispose() => _temp.Dispose();

    private static Parameter[] Parameters(params (string Key, string Value)[] values) =>
        [.. values.Select(v => new Parameter { Key = v.Key, Value = RawJson.FromString(v.Value) })];

    private static string Show(Parameter[] parameters) => string.Join(",", parameters.Select(p => $"{p.Key}={p.Value}"));

    private Task PutActionAsync(string ns, string name, params (string, string)[] parameters) =>
        _actions.PutAsync(ns, name, new ActionSpec { Exec = TempDatabase.Spec().Exec, Parameters = Parameters(parameters) }, overwrite: false).AsTask();

    private Task PutPackageAsync(string ns, string name, PackageBinding? binding = null, bool publish = false, params (string, string)[] parameters) =>
        _packages.PutAsync(ns, name, new PackageSpec { Binding = binding, Parameters = Parameters(parameters), Publish = publish }, overwrite: false).AsTask();

    [Fact]
    public async Task A_plain_name_and_the_default_package_resolve_to_the_action_with_its_own_parameters()
    {
        await PutActionAsync("guest", "hello", ("a", "action"));

        ResolvedAction plain = await _resolver.ResolveAsync("guest", "hello");
        ResolvedAction viaDefault = await _resolver.ResolveAsync("guest", "default/hello");

        Assert.Equal((ResolveStatus.Found, "hello", "guest"), (plain.Status, plain.Action!.Name, plain.Action.Path));
        Assert.Equal("a=\"action\"", Show(plain.Parameters));
        Assert.Same(plain.Action, viaDefault.Action);
        Assert.Equal(ResolveStatus.NotFound, (await _resolver.ResolveAsync("guest", "nothing")).Status);
    }

    [Fact]
    public async Task An_action_in_a_package_has_the_packages_parameters_merged_under_its_own()
    {
        await PutPackageAsync("guest", "utils", parameters: [("a", "package"), ("p", "package")]);
        await PutActionAsync("guest", "utils/echo", ("a", "action"));

        ResolvedAction resolved = await _resolver.ResolveAsync("guest", "utils/echo");

        Assert.Equal(ResolveStatus.Found, resolved.Status);
        Assert.Equal(("guest/utils", "echo", "utils"), (resolved.Action!.Path, resolved.Action.EntityName, resolved.Action.Package));
        Assert.Equal("p=\"package\",a=\"action\"", Show(resolved.Parameters));
        Assert.Null(resolved.Binding);
        Assert.Equal("/guest/utils/echo", resolved.Action.Executable.ActionName);
    }

    [Fact]
    public async Task Through_a_binding_the_bound_packages_action_runs_with_package_below_binding_below_action_parameters()
    {
        await PutPackageAsync("guest", "utils", parameters: [("a", "package"), ("b", "package"), ("p", "package")]);
        await PutActionAsync("guest", "utils/echo", ("a", "action"));
        await PutPackageAsync("guest", "mine", new PackageBinding { Namespace = "guest", Name = "utils" }, parameters: [("a", "binding"), ("b", "binding")]);

        ResolvedAction resolved = await _resolver.ResolveAsync("guest", "mine/echo");

        Assert.Equal(("utils/echo", "guest/mine"), (resolved.Action!.Name, resolved.Binding));
        Assert.Equal("p=\"package\",b=\"binding\",a=\"action\"", Show(resolved.Parameters));
    }

    [Fact]
    public async Task A_missing_package_or_action_is_not_found_to_the_owner_and_forbidden_to_anyone_else()
    {
        await PutPackageAsync("guest", "utils");

        Assert.Equal(ResolveStatus.NotFound, (await _resolver.ResolveAsync("guest", "utils/missing")).Status);
        Assert.Equal(ResolveStatus.NotFound, (await _resolver.ResolveAsync("guest", "nopackage/echo")).Status);
        Assert.Equal(ResolveStatus.Forbidden, (await _resolver.ResolveAsync("guest", "nopackage/echo", caller: "alice")).Status);
    }

    [Fact]
    public async Task Another_namespaces_package_is_reachable_only_when_published_and_its_plain_actions_never()
    {
        await PutPackageAsync("shared", "public", publish: true);
        await PutPackageAsync("shared", "private");
        await PutActionAsync("shared", "public/echo");
        await PutActionAsync("shared", "private/echo");
        await PutActionAsync("shared", "plain");
        await PutPackageAsync("guest", "toPublic", new PackageBinding { Namespace = "shared", Name = "public" });
        await PutPackageAsync("guest", "toPrivate", new PackageBinding { Namespace = "shared", Name = "private" });

        Assert.Equal(ResolveStatus.Found, (await _resolver.ResolveAsync("shared", "public/echo", caller: "guest")).Status);
        Assert.Equal(ResolveStatus.Forbidden, (await _resolver.ResolveAsync("shared", "private/echo", caller: "guest")).Status);
        Assert.Equal(ResolveStatus.Forbidden, (await _resolver.ResolveAsync("shared", "plain", caller: "guest")).Status);
        Assert.Equal(ResolveStatus.Found, (await _resolver.ResolveAsync("guest", "toPublic/echo")).Status);
        Assert.Equal(ResolveStatus.Forbidden, (await _resolver.ResolveAsync("guest", "toPrivate/echo")).Status);
    }

    [Fact]
    public void Merge_lets_the_upper_parameters_replace_the_lower_ones_of_the_same_key()
    {
        Assert.Equal("x=\"1\",y=\"up\",z=\"3\"", Show(ActionResolver.Merge(Parameters(("x", "1"), ("y", "2")), Parameters(("y", "up"), ("z", "3")))));
        Assert.Equal("x=\"1\"", Show(ActionResolver.Merge(Parameters(("x", "1")), [])));
    }
}
