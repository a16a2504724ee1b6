using Perf.Invoker.Json;

namespace Perf.Invoker.Model;

/// <summary>An identity's rights, <c>["READ","PUT","DELETE","ACTIVATE"]</c> on the wire, held as flags so reading them allocates nothing.</summary>
[Flags]
public enum Privilege
{
    None = 0,
    Read = 1,
    Put = 2,
    Delete = 4,
    Activate = 8,
    Reject = 16,
}

/// <summary>The JSON form of <see cref="Privilege"/> flags: an array of names, written in OpenWhisk's order.</summary>
public readonly record struct Privileges(Privilege Value) : IJsonValue<Privileges>
{
    public static Privileges All { get; } = new(Privilege.Read | Privilege.Put | Privilege.Delete | Privilege.Activate);

    public static Privileges ReadJson(ref JsonReader reader)
    {
        reader.ExpectStartArray();
        Privilege value = Privilege.None;
        while (reader.ReadArrayElement())
        {
            ReadOnlySpan<byte> name = reader.GetUtf8String();
            value |= name switch
            {
                _ when name.SequenceEqual("READ"u8) => Privilege.Read,
                _ when name.SequenceEqual("PUT"u8) => Privilege.Put,
                _ when name.SequenceEqual("DELETE"u8) => Privilege.Delete,
                _ when name.SequenceEqual("ACTIVATE"u8) => Privilege.Activate,
                _ when name.SequenceEqual("REJECT"u8) => Privilege.Reject,
                _ => reader.ThrowUnexpected<Privilege>("one of READ, PUT, DELETE, ACTIVATE, REJECT"),
            };
        }

        return new Privileges(value);
    }

    public void WriteJson(ref JsonWriter writer)
    {
        writer.WriteByte((byte)'[');
        bool first = true;
        Write(ref writer, ref first, Privilege.Read, "\"READ\""u8);
        Write(ref writer, ref first, Privilege.Put, "\"PUT\""u8);
        Write(ref writer, ref first, Privilege.Delete, "\"DELETE\""u8);
        Write(ref writer, ref first, Privilege.Activate, "\"ACTIVATE\""u8);
        Write(ref writer, ref first, Privilege.Reject, "\"REJECT\""u8);
        writer.WriteByte((byte)']');
    }

    private void Write(ref JsonWriter writer, ref bool first, Privilege flag, ReadOnlySpan<byte> name)
    {
        if ((Value & flag) == 0)
        {
            return;
        }

        if (!first)
        {
            writer.WriteByte((byte)',');
        }

        writer.WriteRaw(name);
        first = false;
    }
}
