using Perf.Invoker.Json;
using Perf.Invoker.Model;

namespace Perf.Invoker.Tests.Model;

/// <summary>OpenWhisk's user event of an activation (docs/cluster.md, user events), byte for byte.</summary>
[Trait("Category", "Unit")]
public sealed class EventMessageTests
{
    private static readonly ActivationId s_id = ActivationId.TryParse("0123456789abcdef0123456789abcdef", out ActivationId id) ? id : default;

    private static ActivationRecord Record(string result, params (string Key, string Value)[] annotations) => new()
    {
        Namespace = "guest",
        Name = "hello",
        Subject = "guest-subject",
        ActivationId = s_id,
        Start = 1754400000000,
        End = 1754400000333,
        Response = new ActivationResponse { StatusCode = 1, Result = RawJson.Parse(result), Size = 17 },
        Version = "0.0.1",
        Annotations = [.. annotations.Select(a => new Parameter { Key = a.Key, Value = RawJson.Parse(a.Value) })],
        Duration = 333,
    };

    [Fact]
    public void AnActivationsEvent_IsOpenWhisksJson()
    {
        ActivationRecord record = Record(
            """{"error":{"statusCode":404,"body":"no"},"statusCode":200}""",
            ("limits", """{"timeout":60000,"memory":256,"logs":10,"concurrency":1}"""),
            ("path", "\"guest/mypkg/hello\""),
            ("kind", "\"nodejs:20\""),
            ("timeout", "false"),
            ("initTime", "210"),
            ("waitTime", "35"),
            ("causedBy", "\"sequence\""));

        EventMessage message = EventMessage.ForActivation(record, "invoker0", "ns-uuid", 1754400000500)!;

        Assert.Equal(
            """{"source":"invoker0","body":{"name":"guest/mypkg/hello","activationId":"0123456789abcdef0123456789abcdef","statusCode":1,"duration":333,"waitTime":35,"initTime":210,"kind":"nodejs:20","conductor":false,"memory":256,"causedBy":"sequence","size":17,"userDefinedStatusCode":404},"subject":"guest-subject","namespace":"guest","userId":"ns-uuid","eventType":"Activation","timestamp":1754400000500}""",
            JsonModel.ToJsonString(message));
    }

    [Theory]
    [InlineData("""{"statusCode":201}""", 201)]
    [InlineData("""{"statusCode":"teapot"}""", 400)]
    [InlineData("""{"error":"plain"}""", null)]
    [InlineData("""{"greeting":"hi"}""", null)]
    public void TheUserDefinedStatusCode_IsTheErrorsElseTheResults(string result, int? code) =>
        Assert.Equal(code, EventMessage.ForActivation(Record(result, ("path", "\"guest/hello\""), ("kind", "\"nodejs:20\"")), "invoker0", "u", 0)!.Body.UserDefinedStatusCode);

    [Fact]
    public void ARecordWithoutPathOrKind_HasNoEvent_AsInOpenWhisk()
    {
        Assert.Null(EventMessage.ForActivation(Record("{}", ("kind", "\"nodejs:20\"")), "invoker0", "u", 0));
        Assert.Null(EventMessage.ForActivation(Record("{}", ("path", "\"guest/hello\"")), "invoker0", "u", 0));
    }

    [Fact]
    public void WithoutTheOptionalAnnotations_TheTimesAreZero_AndTheOptionalFieldsAbsent()
    {
        ActivationRecord record = Record("{}", ("path", "\"guest/hello\""), ("kind", "\"nodejs:20\""));
        var bare = new ActivationRecord
        {
            Namespace = record.Namespace, Name = record.Name, Subject = record.Subject, ActivationId = record.ActivationId,
            Start = record.Start, End = record.End, Response = new ActivationResponse { StatusCode = 0, Result = RawJson.EmptyObject },
            Version = record.Version, Annotations = record.Annotations, Duration = 5,
        };

        Assert.Equal(
            """{"name":"guest/hello","activationId":"0123456789abcdef0123456789abcdef","statusCode":0,"duration":5,"waitTime":0,"initTime":0,"kind":"nodejs:20","conductor":false,"memory":0}""",
            JsonModel.ToJsonString(EventMessage.ForActivation(bare, "invoker0", "u", 0)!.Body));
    }
}
