using System.Text;
using Perf.Invoker.Json;
using Perf.Invoker.Model;
using Perf.Invoker.Tests.Model;

namespace Perf.Invoker.Tests.Json;

/// <summary>
/// The corpus of bad input: every case is a <see cref="JsonReadException"/> with a useful message,
/// member and offset; nothing else is thrown and nothing hangs.
/// </summary>
[Trait("Category", "Unit")]
public sealed class MalformedInputTests
{
    private static JsonReadException ReadFails(string json) => ReadFails(Encoding.UTF8.GetBytes(json));

    private static JsonReadException ReadFails(byte[] utf8) =>
        Assert.Throws<JsonReadException>(() => JsonModel.Read<ActivationMessage>(utf8));

    [Fact]
    public void TruncatedAtEveryByte_IsAReadErrorWithAnOffsetInsideTheInput()
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(WireSamples.ActivationMessageWithOptionals);
        for (int length = 0; length < utf8.Length; length++)
        {
            JsonReadException e = ReadFails(utf8.AsSpan(0, length).ToArray());
            Assert.InRange(e.BytePosition, 0, length);
        }
    }

    [Theory]
    [InlineData("\"blocking\":true", "\"blocking\":\"yes\"", "blocking", "expected true or false, found a string")]
    [InlineData("\"activationId\":\"c7bb1339cb4f40e3a6ccead6c99f804e\"", "\"activationId\":42", "activationId", "expected a string, found a number")]
    [InlineData("\"activationId\":\"c7bb1339cb4f40e3a6ccead6c99f804e\"", "\"activationId\":\"C7BB1339CB4F40E3A6CCEAD6C99F804E\"", "activationId", "32 lowercase hexadecimal")]
    [InlineData("\"activationId\":\"c7bb1339cb4f40e3a6ccead6c99f804e\"", "\"activationId\":\"c7bb\"", "activationId", "32 lowercase hexadecimal")]
    [InlineData("\"transid\":[\"tid_8f3c\",1717171717171]", "\"transid\":\"tid_8f3c\"", "transid", "expected an array, found a string")]
    [InlineData("\"transid\":[\"tid_8f3c\",1717171717171]", "\"transid\":[\"tid_8f3c\"]", "transid", "start time")]
    [InlineData("\"action\":{\"path\"", "\"action\":[],\"x\":{\"path\"", "action", "expected an object, found an array")]
    [InlineData("\"rights\":[\"READ\",", "\"rights\":[\"ROOT\",", "rights", "one of READ, PUT")]
    [InlineData("\"name\":\"hello\"", "\"name\":null", "name", "expected a string, found null")]
    [InlineData("\"initArgs\":[]", "\"initArgs\":{}", "initArgs", "expected an array, found an object")]
    [InlineData("\"initArgs\":[]", "\"initArgs\":[1]", "initArgs", "expected a string, found a number")]
    public void WrongType_NamesTheMemberAndWhatWasExpected(string original, string replacement, string member, string message)
    {
        string json = WireSamples.ActivationMessage.Replace(original, replacement);
        Assert.NotEqual(WireSamples.ActivationMessage, json);

        JsonReadException e = ReadFails(json);

        Assert.Equal(member, e.Member);
        Assert.Contains(message, e.Message);
        int at = json.IndexOf(replacement, StringComparison.Ordinal);
        Assert.InRange(e.BytePosition, at + member.Length + 3, at + replacement.Length - 1);
    }

    [Theory]
    [InlineData("1717171717171]", "99999999999999999999999]")]
    [InlineData("1717171717171]", "1e400]")]
    [InlineData("1717171717171]", "1.5]")]
    public void HugeOrFractionalNumbers_ForIntegerMembers_AreOutOfRange(string original, string replacement)
    {
        JsonReadException e = ReadFails(WireSamples.ActivationMessage.Replace(original, replacement));

        Assert.Equal("transid", e.Member);
        Assert.Contains("does not fit a 64-bit integer", e.Message);
    }

    [Fact]
    public void HugeNumbers_InRawContent_PassThroughUntouched()
    {
        string json = WireSamples.ActivationMessage.Replace("{\"name\":\"John\"}", "{\"n\":1e400,\"m\":123456789012345678901234567890}");

        var message = JsonModel.Read<ActivationMessage>(json);

        Assert.Equal("{\"n\":1e400,\"m\":123456789012345678901234567890}", message.Content.ToString());
    }

    [Theory]
    [InlineData(65)]
    [InlineData(100_000)]
    public void DeepNesting_IsRejected_WithoutExhaustingTheStack(int depth)
    {
        string deep = new string('[', depth) + new string(']', depth);
        string json = WireSamples.ActivationMessage.Replace("{\"name\":\"John\"}", deep);

        JsonReadException e = ReadFails(json);

        Assert.Contains("depth", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void NestingWithinTheLimit_IsAccepted()
    {
        string deep = new string('[', 60) + new string(']', 60);

        var message = JsonModel.Read<ActivationMessage>(WireSamples.ActivationMessage.Replace("{\"name\":\"John\"}", deep));

        Assert.Equal(deep, message.Content.ToString());
    }

    [Theory]
    [InlineData(new byte[] { 0xC3, 0x28 })]             // bad continuation byte
    [InlineData(new byte[] { 0xFF })]                   // never valid in UTF-8
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })]       // an encoded surrogate
    [InlineData(new byte[] { 0xC0, 0xAF })]             // overlong '/'
    public void InvalidUtf8_AnywhereInTheInput_IsReportedAtItsOffset(byte[] bad)
    {
        foreach (string anchor in new[] { "John", "tid_8f3c", "limits" })
        {
            byte[] utf8 = Encoding.UTF8.GetBytes(WireSamples.ActivationMessage);
            int at = WireSamples.ActivationMessage.IndexOf(anchor, StringComparison.Ordinal);
            byte[] corrupt = [.. utf8.AsSpan(0, at), .. bad, .. utf8.AsSpan(at)];

            JsonReadException e = ReadFails(corrupt);

            Assert.Equal(at, e.BytePosition);
            Assert.Contains("Invalid UTF-8", e.Message);
        }
    }

    [Fact]
    public void LoneSurrogateEscape_IsAReadError()
    {
        JsonReadException e = ReadFails(WireSamples.ActivationMessage.Replace("\"tid_8f3c\"", "\"tid_\\ud800\""));

        Assert.Contains("Invalid string", e.Message);
    }

    // Found by the activation-message and action-document fuzz harnesses: decoded by a hand-written reader, outside
    // JsonModel.Read, the same escape threw InvalidOperationException, which no caller expected.
    [Theory]
    [InlineData("\"x\\ud800\"")]
    [InlineData("\"\\udc00x\"")]
    public void LoneSurrogateEscape_DecodedByAnyReader_IsAReadError(string json)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(json);

        Assert.Throws<JsonReadException>(() =>
        {
            var reader = new JsonReader(utf8);
            reader.ReadValue();
            return reader.GetString();
        });
        Assert.Throws<JsonReadException>(() =>
        {
            var reader = new JsonReader(Encoding.UTF8.GetBytes("{" + json + ":1}"));
            reader.ReadValue();
            return reader.ReadPropertyName(out _);
        });
    }

    [Theory]
    [InlineData("blocking", "\"blocking\":true,\"blocking\":false")]
    [InlineData("activationId", "\"activationId\":\"c7bb1339cb4f40e3a6ccead6c99f804e\",\"activationId\":\"c7bb1339cb4f40e3a6ccead6c99f804e\"")]
    public void DuplicateMembers_AreRejected_NamingTheMember(string member, string duplicated)
    {
        string original = duplicated[..(duplicated.IndexOf(',', StringComparison.Ordinal))];
        string json = WireSamples.ActivationMessage.Replace(original, duplicated);

        JsonReadException e = ReadFails(json);

        Assert.Equal(member, e.Member);
        Assert.Contains("appears twice", e.Message);
        Assert.Equal(json.LastIndexOf($"\"{member}\"", StringComparison.Ordinal), e.BytePosition);
    }

    [Theory]
    [InlineData("transid", "\"transid\":[\"tid_8f3c\",1717171717171],", "")]
    [InlineData("activationId", "\"activationId\":\"c7bb1339cb4f40e3a6ccead6c99f804e\",", "")]
    [InlineData("blocking", "\"blocking\":true,", "")]
    [InlineData("subject", "\"subject\":\"guest\",", "\"user\":")]
    [InlineData("name", "\"name\":\"hello\",", "\"action\":")]
    public void MissingRequiredMember_NamesItAndTheObjectsOffset(string member, string removed, string containingMember)
    {
        string json = WireSamples.ActivationMessage.Replace(removed, string.Empty);
        int objectStart = containingMember.Length == 0 ? 0 : json.IndexOf(containingMember, StringComparison.Ordinal) + containingMember.Length;

        JsonReadException e = ReadFails(json);

        Assert.Equal(member, e.Member);
        Assert.Equal($"Required member '{member}' is missing from the object at byte {objectStart}.", e.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("\"text\"")]
    [InlineData("{")]
    [InlineData("{}")]
    [InlineData("{\"transid\":}")]
    [InlineData("{'transid':1}")]
    [InlineData("{\"a\":1,}")]
    [InlineData("{\"a\" 1}")]
    [InlineData("{\"a\":tru}")]
    [InlineData("{\"a\":01}")]
    [InlineData("{\"a\":\"\u0001\"}")]
    [InlineData("{\"a\":\"\\x\"}")]
    [InlineData("{} {}")]
    [InlineData("{}x")]
    [InlineData("/* c */{}")]
    public void NotAnActivationMessage_IsAReadError(string json) => ReadFails(json);

    [Fact]
    public void RandomMutationsOfASample_EitherReadOrFailCleanly()
    {
        byte[] sample = Encoding.UTF8.GetBytes(WireSamples.ActivationMessageWithOptionals);
        var random = new Random(20261129);
        byte[] interesting = "{}[]\",:\\0123456789eE-+.truefalsn \u00ff\u0080"u8.ToArray();
        int read = 0, failed = 0;
        for (int i = 0; i < 20_000; i++)
        {
            byte[] input = [.. sample];
            int edits = random.Next(1, 4);
            for (int e = 0; e < edits; e++)
            {
                int at = random.Next(input.Length);
                switch (random.Next(3))
                {
                    case 0: input[at] = interesting[random.Next(interesting.Length)]; break;
                    case 1: input = [.. input.AsSpan(0, at), .. input.AsSpan(at + 1)]; break;
                    default: input = [.. input.AsSpan(0, at), interesting[random.Next(interesting.Length)], .. input.AsSpan(at)]; break;
                }
            }

            try
            {
                JsonModel.Read<ActivationMessage>(input);
                read++;
            }
            catch (JsonReadException)
            {
                failed++;
            }
        }

        Assert.Equal(20_000, read + failed);
        Assert.True(failed > 0 && read > 0, $"{read} read, {failed} failed: the mutations should produce both");
    }
}
