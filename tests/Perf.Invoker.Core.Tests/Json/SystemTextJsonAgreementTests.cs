using System.Text;
using System.Text.Json;
using Perf.Invoker.Benchmarks.Json.Stj;
using Perf.Invoker.Json;
using Perf.Invoker.Model;
using Perf.Invoker.Tests.Model;

namespace Perf.Invoker.Tests.Json;

/// <summary>The generated code and System.Text.Json read and write the same data the same way.</summary>
[Trait("Category", "Unit")]
public sealed class SystemTextJsonAgreementTests
{
    public static TheoryData<string> Messages => [WireSamples.ActivationMessage, WireSamples.ActivationMessageWithOptionals];

    [Theory]
    [MemberData(nameof(Messages))]
    public void ActivationMessage_ReadByBoth_HasTheSameValues(string json)
    {
        var ours = JsonModel.Read<ActivationMessage>(json);
        var theirs = JsonSerializer.Deserialize(json, StjContext.Default.StjActivationMessage)!;

        AssertSame(theirs, ours);
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public void ActivationMessage_WrittenByUs_IsTheSameDocumentForSystemTextJson(string json)
    {
        byte[] written = JsonModel.ToUtf8Bytes(JsonModel.Read<ActivationMessage>(json));

        using var expected = JsonDocument.Parse(json);
        using var actual = JsonDocument.Parse(written);
        Assert.True(JsonElement.DeepEquals(expected.RootElement, actual.RootElement), Encoding.UTF8.GetString(written));
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public void ActivationMessage_WrittenBySystemTextJson_ReadsTheSame(string json)
    {
        var theirs = JsonSerializer.Deserialize(json, StjContext.Default.StjActivationMessage)!;
        string rewritten = JsonSerializer.Serialize(theirs, StjContext.Default.StjActivationMessage);

        AssertSame(theirs, JsonModel.Read<ActivationMessage>(rewritten));
    }

    [Fact]
    public void RunRequest_And_Ack_ReadByBothAndRewritten_AreTheSameDocument()
    {
        foreach (string json in new[] { WireSamples.Run, WireSamples.Combined })
        {
            byte[] ours = json == WireSamples.Run
                ? JsonModel.ToUtf8Bytes(JsonModel.Read<RunRequest>(json))
                : JsonModel.ToUtf8Bytes(JsonModel.Read<CombinedCompletionAndResultMessage>(json));
            string theirs = json == WireSamples.Run
                ? JsonSerializer.Serialize(JsonSerializer.Deserialize(json, StjContext.Default.StjRunRequest)!, StjContext.Default.StjRunRequest)
                : JsonSerializer.Serialize(JsonSerializer.Deserialize(json, StjContext.Default.StjCombinedMessage)!, StjContext.Default.StjCombinedMessage);

            using var a = JsonDocument.Parse(ours);
            using var b = JsonDocument.Parse(theirs);
            Assert.True(JsonElement.DeepEquals(a.RootElement, b.RootElement));
        }
    }

    [Fact]
    public void EscapedStrings_FromSystemTextJson_ReadBackUnescaped()
    {
        // System.Text.Json escapes non-ASCII and HTML characters as \uXXXX by default; we must read them.
        var theirs = JsonSerializer.Deserialize(WireSamples.ActivationMessage, StjContext.Default.StjActivationMessage)!;
        var renamed = new StjActivationMessage
        {
            Transid = theirs.Transid,
            Action = new StjEntityName { Path = "gäst<&>", Name = "héllo 🎉", Version = "0.0.1" },
            User = theirs.User,
            ActivationId = theirs.ActivationId,
            RootControllerIndex = theirs.RootControllerIndex,
            Blocking = true,
        };
        string json = JsonSerializer.Serialize(renamed, StjContext.Default.StjActivationMessage);
        Assert.Contains("\\u", json);

        var ours = JsonModel.Read<ActivationMessage>(json);

        Assert.Equal("gäst<&>", ours.Action.Path);
        Assert.Equal("héllo 🎉", ours.Action.Name);
    }

    private static void AssertSame(StjActivationMessage expected, ActivationMessage actual)
    {
        Assert.Equal(expected.Transid[0].GetString(), actual.Transid.Id);
        Assert.Equal(expected.Transid[1].GetInt64(), actual.Transid.StartMillis);
        Assert.Equal(expected.Action.Path, actual.Action.Path);
        Assert.Equal(expected.Action.Name, actual.Action.Name);
        Assert.Equal(expected.Action.Version, actual.Action.Version);
        Assert.Equal(expected.Action.Binding, actual.Action.Binding);
        Assert.Equal(expected.Revision, actual.Revision);
        Assert.Equal(expected.User.Subject, actual.User.Subject);
        Assert.Equal(expected.User.Namespace.Name, actual.User.Namespace.Name);
        Assert.Equal(expected.User.Namespace.Uuid, actual.User.Namespace.Uuid);
        Assert.Equal(expected.User.Authkey.ApiKey, actual.User.Authkey.ApiKey);
        Assert.Equal(string.Join(",", expected.User.Rights), JsonModel.ToJsonString(actual.User.Rights).Trim('[', ']').Replace("\"", ""));
        Assert.Equal(expected.ActivationId, actual.ActivationId.ToString());
        Assert.Equal(expected.RootControllerIndex.AsString, actual.RootControllerIndex.AsString);
        Assert.Equal(expected.Blocking, actual.Blocking);
        Assert.Equal(expected.Cause, actual.Cause?.ToString());
        AssertSameJson(expected.Content, actual.Content);
        AssertSameJson(expected.LockedArgs, actual.LockedArgs);
        AssertSameJson(expected.TraceContext, actual.TraceContext);
        Assert.Equal(expected.InitArgs, actual.InitArgs);
    }

    private static void AssertSameJson(JsonElement? expected, RawJson? actual)
    {
        Assert.Equal(expected is null, actual is null);
        if (expected is { } e)
        {
            using var document = JsonDocument.Parse(actual!.Value.Utf8);
            Assert.True(JsonElement.DeepEquals(e, document.RootElement));
        }
    }
}
