using System.Text;
using Perf.Invoker.Json;
using Perf.Invoker.Model;

namespace Perf.Invoker.Tests.Model;

[Trait("Category", "Unit")]
public sealed class WireModelRoundTripTests
{
    public static TheoryData<string, string> ByteExactSamples => new()
    {
        { nameof(ActivationMessage), WireSamples.ActivationMessage },
        { nameof(ActivationMessage), WireSamples.ActivationMessageWithOptionals },
        { nameof(InvokerInstanceId), WireSamples.InvokerInstanceId },
        { nameof(PingMessage), WireSamples.PingMessage },
        { nameof(ActivationRecord), WireSamples.ActivationRecord },
        { nameof(CombinedCompletionAndResultMessage), WireSamples.Combined },
        { nameof(CombinedCompletionAndResultMessage), WireSamples.CombinedShrunk },
        { nameof(CompletionMessage), WireSamples.Completion },
        { nameof(ResultMessage), WireSamples.Result },
        { nameof(InitRequest), WireSamples.Init },
        { nameof(RunRequest), WireSamples.Run },
    };

    [Theory]
    [MemberData(nameof(ByteExactSamples))]
    public void Sample_ReadThenWritten_IsByteForByteTheSame(string type, string json)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(json);
        byte[] written = type switch
        {
            nameof(ActivationMessage) => RoundTrip<ActivationMessage>(utf8),
            nameof(InvokerInstanceId) => RoundTrip<InvokerInstanceId>(utf8),
            nameof(PingMessage) => RoundTrip<PingMessage>(utf8),
            nameof(ActivationRecord) => RoundTrip<ActivationRecord>(utf8),
            nameof(CombinedCompletionAndResultMessage) => RoundTrip<CombinedCompletionAndResultMessage>(utf8),
            nameof(CompletionMessage) => RoundTrip<CompletionMessage>(utf8),
            nameof(ResultMessage) => RoundTrip<ResultMessage>(utf8),
            nameof(InitRequest) => RoundTrip<InitRequest>(utf8),
            nameof(RunRequest) => RoundTrip<RunRequest>(utf8),
            _ => throw new ArgumentOutOfRangeException(nameof(type)),
        };

        Assert.Equal(json, Encoding.UTF8.GetString(written));
    }

    private static byte[] RoundTrip<T>(byte[] utf8) where T : IJsonValue<T> => JsonModel.ToUtf8Bytes(JsonModel.Read<T>(utf8));

    [Fact]
    public void ActivationMessage_Sample_ReadsEveryMember()
    {
        var message = JsonModel.Read<ActivationMessage>(WireSamples.ActivationMessage);

        Assert.Equal("tid_8f3c", message.Transid.Id);
        Assert.Equal(1717171717171, message.Transid.StartMillis);
        Assert.Equal("guest", message.Action.Path);
        Assert.Equal("hello", message.Action.Name);
        Assert.Equal("0.0.1", message.Action.Version);
        Assert.Equal("3-6a8c", message.Revision);
        Assert.Equal("guest", message.User.Subject);
        Assert.Equal("23bc46b1-71f6-4ed5-8c54-816aa4f8c502", message.User.Namespace.Uuid);
        Assert.StartsWith("23bc46b1-71f6-4ed5-8c54-816aa4f8c502:123zO3", message.User.Authkey.ApiKey);
        Assert.Equal(Privileges.All, message.User.Rights);
        Assert.Equal(WireSamples.ActivationId, message.ActivationId.ToString());
        Assert.Equal("0", message.RootControllerIndex.AsString);
        Assert.True(message.Blocking);
        Assert.Equal("""{"name":"John"}""", message.Content.ToString());
        Assert.Empty(message.InitArgs!);
        Assert.Null(message.Cause);
    }

    [Fact]
    public void RawContent_IsASliceOfTheInput_NotACopy()
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(WireSamples.ActivationMessage);
        var message = JsonModel.Read<ActivationMessage>(utf8);

        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(message.Content!.Value.Utf8, out ArraySegment<byte> segment));
        Assert.Same(utf8, segment.Array);
    }

    [Fact]
    public void OptionalMembers_WhenAbsent_AreOmittedNotWrittenAsNull()
    {
        var message = JsonModel.Read<ActivationMessage>(WireSamples.ActivationMessage) is var m
            ? new ActivationMessage
            {
                Transid = m.Transid,
                Action = m.Action,
                User = m.User,
                ActivationId = m.ActivationId,
                RootControllerIndex = m.RootControllerIndex,
                Blocking = false,
            }
            : null!;

        string json = JsonModel.ToJsonString(message);

        Assert.DoesNotContain("null", json);
        Assert.DoesNotContain("content", json);
        Assert.DoesNotContain("revision", json);
    }

    [Fact]
    public void NullRevision_ReadsAsAbsent()
    {
        string json = WireSamples.ActivationMessage.Replace("\"revision\":\"3-6a8c\"", "\"revision\":null");

        Assert.Null(JsonModel.Read<ActivationMessage>(json).Revision);
    }

    [Fact]
    public void UnknownMembers_AreSkipped_AtAnyDepth()
    {
        string json = WireSamples.ActivationMessage.Replace("{\"transid\"", "{\"future\":{\"a\":[1,{\"b\":null}]},\"transid\"");

        var message = JsonModel.Read<ActivationMessage>(json);

        Assert.Equal("hello", message.Action.Name);
    }

    [Fact]
    public void ActionSpec_Sample_ReadsLimitsAndAnnotations()
    {
        var action = JsonModel.Read<ActionSpec>(WireSamples.Action);

        Assert.Equal("nodejs:20", action.Exec.Kind);
        Assert.Equal(10, action.Limits!.Concurrency);
        Assert.Equal(60000, action.Limits.Timeout);
        Assert.Equal(200, action.MaxConcurrentAnnotation);
        Assert.Equal(10, action.Concurrency);
        Assert.Equal("v", JsonModel.Read<RawJsonString>(action.Parameters![0].Value.Utf8).Value);
    }

    [Fact]
    public void ActionConcurrency_FallsBackToMaxConcurrentAnnotation_WhenLimitIsAbsent()
    {
        var action = JsonModel.Read<ActionSpec>("""{"exec":{"kind":"nodejs:20"},"annotations":[{"key":"max-concurrent","value":200}]}""");

        Assert.Equal(200, action.Concurrency);
    }

    [Fact]
    public void AckResponse_ReadsAnIdStringOrARecord()
    {
        var shrunk = JsonModel.Read<CombinedCompletionAndResultMessage>(WireSamples.CombinedShrunk);
        var full = JsonModel.Read<CombinedCompletionAndResultMessage>(WireSamples.Combined);

        Assert.Null(shrunk.Response.Record);
        Assert.Equal(WireSamples.ActivationId, shrunk.Response.ActivationId.ToString());
        Assert.Equal(175, full.Response.Record!.Duration);
        Assert.Equal(ActivationStatus.Success, full.Response.Record.Response.Status);
    }

    [Fact]
    public void Strings_WithQuotesControlsAndNonAscii_RoundTrip()
    {
        string tricky = "a\"b\\c\n\t\u0001é日本🎉";
        var record = new Parameter { Key = tricky, Value = RawJson.Parse("\"x\"") };

        string json = JsonModel.ToJsonString(record);
        var back = JsonModel.Read<Parameter>(json);

        Assert.Equal(tricky, back.Key);
        Assert.Equal("{\"key\":\"a\\\"b\\\\c\\n\\t\\u0001é日本🎉\",\"value\":\"x\"}", json);
    }

    [Fact]
    public void ByteSize_ReadsUnitsAndWritesThemBack()
    {
        Assert.True(ByteSize.TryParse("2048 MB", out ByteSize size));
        Assert.Equal(2048L << 20, size.Bytes);
        Assert.True(ByteSize.TryParse("2g", out size));
        Assert.Equal(new ByteSize(2, SizeUnit.GB), size);
        Assert.False(ByteSize.TryParse("lots", out _));
    }

    [Fact]
    public void ActivationId_NewIds_AreThirtyTwoLowercaseHexAndRoundTrip()
    {
        ActivationId id = ActivationId.NewId();
        string text = id.ToString();

        Assert.Matches("^[0-9a-f]{32}$", text);
        Assert.Equal(id, ActivationId.Parse(text));
    }

    [Fact]
    public void ActivationId_NewIds_DrawnOnFourThreads_AcrossManyRefills_AreAllDistinct()
    {
        // Each thread takes ids from its own buffer of random bytes: refills and threads must never repeat one.
        ActivationId[][] perThread = new ActivationId[4][];
        Parallel.For(0, perThread.Length, t => perThread[t] = [.. Enumerable.Range(0, 10_000).Select(_ => ActivationId.NewId())]);

        Assert.Equal(40_000, perThread.SelectMany(ids => ids).Distinct().Count());
    }

    [Fact]
    public void ActivationId_NewIds_OfALaterMillisecond_SortAfterEarlierOnes_AsTheirHexText()
    {
        ActivationId earlier = ActivationId.NewId(1_765_000_000_000);
        ActivationId later = ActivationId.NewId(1_765_000_000_001);

        Assert.True(string.CompareOrdinal(earlier.ToString(), later.ToString()) < 0);
        Assert.StartsWith("0191", ActivationId.NewId(1_725_000_000_000).ToString(), StringComparison.Ordinal);
    }
}

/// <summary>A JSON string read on its own, for checking raw parameter values in tests.</summary>
internal readonly struct RawJsonString(string value) : IJsonValue<RawJsonString>
{
    public string Value { get; } = value;

    public static RawJsonString ReadJson(ref JsonReader reader) => new(reader.GetString());

    public void WriteJson(ref JsonWriter writer) => writer.WriteString(Value);
}
