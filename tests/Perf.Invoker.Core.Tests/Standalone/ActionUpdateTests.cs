using Perf.Invoker.Host.Standalone;
using Perf.Invoker.Json;
using Perf.Invoker.Model;

namespace Perf.Invoker.Tests.Standalone;

[Trait("Category", "Unit")]
public sealed class ActionUpdateTests
{
    private static readonly ActionSpec s_stored = new()
    {
        Exec = new ActionExec { Kind = "nodejs:20", Code = "function main(p) { return p; }", Main = "main" },
        Limits = new ActionLimits { Timeout = 1000, Memory = 256, Logs = 5, Concurrency = 5 },
        Parameters = [new Parameter { Key = "greeting", Value = RawJson.FromString("hi") }],
        Annotations = [new Parameter { Key = "web-export", Value = RawJson.True }],
        Publish = true,
    };

    [Theory]
    [InlineData("UEsDBAoAAAAAAA==", true)]
    [InlineData("  UEsDBA==\n", true)]
    [InlineData("UEsDBAo=", true)]
    [InlineData("abcd", true)]
    [InlineData("function main() {}", false)]
    [InlineData("UEsDBAo", false)]
    [InlineData("UEs=BAo=", false)]
    [InlineData("====", false)]
    [InlineData("", false)]
    public void Binary_code_is_OpenWhisks_isBinaryCode(string code, bool binary) => Assert.Equal(binary, ActionUpdate.IsBinaryCode(code));

    [Fact]
    public void A_create_without_exec_has_nothing_to_store()
    {
        Assert.Null(ActionUpdate.Apply(new ActionPutDocument { Parameters = [] }, existing: null));
    }

    [Fact]
    public void The_binary_flag_is_computed_from_the_code_whatever_the_request_says()
    {
        ActionSpec zip = ActionUpdate.Apply(new ActionPutDocument { Exec = new ActionExec { Kind = "nodejs:20", Code = "UEsDBAo=" } }, null)!;
        ActionSpec source = ActionUpdate.Apply(new ActionPutDocument { Exec = new ActionExec { Kind = "nodejs:20", Code = "let x = 1", Binary = true } }, null)!;

        Assert.True(zip.Exec.Binary);
        Assert.False(source.Exec.Binary);
    }

    [Fact]
    public void An_update_with_parameters_only_keeps_exec_limits_annotations_and_publish()
    {
        Parameter[] parameters = [new Parameter { Key = "name", Value = RawJson.FromString("Ada") }];

        ActionSpec merged = ActionUpdate.Apply(new ActionPutDocument { Parameters = parameters }, s_stored)!;

        Assert.Equal(s_stored.Exec.Code, merged.Exec.Code);
        Assert.Equal(JsonModel.ToJsonString(s_stored.Limits!), JsonModel.ToJsonString(merged.Limits!));
        Assert.Same(parameters, merged.Parameters);
        Assert.Equal(["web-export", "exec"], merged.Annotations!.Select(a => a.Key));
        Assert.True(merged.Publish);
    }

    [Fact]
    public void An_update_of_one_limit_keeps_the_others_and_the_parameters()
    {
        ActionSpec merged = ActionUpdate.Apply(new ActionPutDocument { Limits = new ActionLimits { Memory = 512 } }, s_stored)!;

        Assert.Equal((1000, 512, 5, 5), (merged.Limits!.Timeout, merged.Limits.Memory, merged.Limits.Logs, merged.Limits.Concurrency));
        Assert.Same(s_stored.Parameters, merged.Parameters);
    }

    [Fact]
    public void The_exec_annotation_carries_the_kind_and_replaces_one_the_request_sent()
    {
        ActionSpec created = ActionUpdate.Apply(new ActionPutDocument
        {
            Exec = new ActionExec { Kind = "nodejs:22", Code = "x" },
            Annotations = [new Parameter { Key = "exec", Value = RawJson.FromString("python") }],
        }, null)!;

        Assert.Equal("exec=\"nodejs:22\"", string.Join(",", created.Annotations!.Select(a => $"{a.Key}={a.Value}")));
    }
}
