using System.Reflection;
using System.Reflection.Emit;

namespace Perf.Invoker.Tests.Architecture;

/// <summary>
/// The types each type of an assembly uses: its base type and interfaces, the types in its fields, properties,
/// events and method signatures, its locals, and every type, field and method its IL names (a <c>new</c>, a
/// static call or a cast inside a body is a dependency as much as a parameter is).
/// </summary>
internal static class TypeReferences
{
    private const BindingFlags Declared = BindingFlags.DeclaredOnly | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static;

    private static readonly OpCode[] s_oneByte = new OpCode[0x100];
    private static readonly OpCode[] s_twoByte = new OpCode[0x100];

    static TypeReferences()
    {
        foreach (FieldInfo field in typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static))
        {
            var opCode = (OpCode)field.GetValue(null)!;
            ushort value = unchecked((ushort)opCode.Value);
            if (value < 0x100)
            {
                s_oneByte[value] = opCode;
            }
            else
            {
                s_twoByte[value & 0xFF] = opCode;
            }
        }
    }

    /// <summary>Every (user, used) pair of <paramref name="assembly"/>, generic arguments, arrays and pointers unwrapped.</summary>
    public static IEnumerable<(Type User, Type Used)> Of(Assembly assembly)
    {
        foreach (Type type in assembly.GetTypes())
        {
            var used = new HashSet<Type>();
            foreach (Type direct in Direct(type))
            {
                Unwrap(direct, used);
            }

            foreach (Type t in used)
            {
                yield return (type, t);
            }
        }
    }

    private static IEnumerable<Type> Direct(Type type)
    {
        if (type.BaseType is { } baseType)
        {
            yield return baseType;
        }

        foreach (Type contract in type.GetInterfaces())
        {
            yield return contract;
        }

        foreach (FieldInfo field in type.GetFields(Declared))
        {
            yield return field.FieldType;
        }

        foreach (PropertyInfo property in type.GetProperties(Declared))
        {
            yield return property.PropertyType;
        }

        foreach (EventInfo e in type.GetEvents(Declared))
        {
            if (e.EventHandlerType is { } handler)
            {
                yield return handler;
            }
        }

        foreach (MethodBase method in type.GetMethods(Declared).Concat<MethodBase>(type.GetConstructors(Declared)))
        {
            if (method is MethodInfo { ReturnType: var returnType })
            {
                yield return returnType;
            }

            foreach (ParameterInfo parameter in method.GetParameters())
            {
                yield return parameter.ParameterType;
            }

            foreach (Type t in Body(method))
            {
                yield return t;
            }
        }
    }

    /// <summary>The locals of <paramref name="method"/> and the types behind every metadata token in its IL (ECMA-335 §III).</summary>
    private static IEnumerable<Type> Body(MethodBase method)
    {
        if (method.GetMethodBody() is not { } body || body.GetILAsByteArray() is not { } il)
        {
            yield break;
        }

        foreach (LocalVariableInfo local in body.LocalVariables)
        {
            yield return local.LocalType;
        }

        Type[]? typeArguments = method.DeclaringType is { IsGenericType: true } declaring ? declaring.GetGenericArguments() : null;
        Type[]? methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        int i = 0;
        while (i < il.Length)
        {
            OpCode opCode = il[i] == 0xFE ? s_twoByte[il[++i]] : s_oneByte[il[i]];
            i++;
            switch (opCode.OperandType)
            {
                case OperandType.InlineNone:
                    break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar:
                    i += 1;
                    break;
                case OperandType.InlineVar:
                    i += 2;
                    break;
                case OperandType.InlineI8 or OperandType.InlineR:
                    i += 8;
                    break;
                case OperandType.InlineSwitch:
                    i += 4 + (4 * BitConverter.ToInt32(il, i));
                    break;
                case OperandType.InlineType or OperandType.InlineTok or OperandType.InlineMethod or OperandType.InlineField:
                    foreach (Type t in Member(method.Module.ResolveMember(BitConverter.ToInt32(il, i), typeArguments, methodArguments)))
                    {
                        yield return t;
                    }

                    i += 4;
                    break;
                default: // InlineI, InlineBrTarget, ShortInlineR, InlineString, InlineSig: four bytes, no type.
                    i += 4;
                    break;
            }
        }
    }

    private static IEnumerable<Type> Member(MemberInfo? member)
    {
        switch (member)
        {
            case Type type:
                yield return type;
                break;
            case FieldInfo field:
                yield return field.DeclaringType!;
                yield return field.FieldType;
                break;
            case MethodBase method:
                if (method.DeclaringType is { } declaring)
                {
                    yield return declaring;
                }

                if (method is MethodInfo info)
                {
                    yield return info.ReturnType;
                    if (info.IsGenericMethod)
                    {
                        foreach (Type argument in info.GetGenericArguments())
                        {
                            yield return argument;
                        }
                    }
                }

                foreach (ParameterInfo parameter in method.GetParameters())
                {
                    yield return parameter.ParameterType;
                }

                break;
        }
    }

    private static void Unwrap(Type type, HashSet<Type> into)
    {
        if (type.HasElementType)
        {
            Unwrap(type.GetElementType()!, into);
            return;
        }

        if (type.IsGenericParameter || !into.Add(type) || !type.IsGenericType)
        {
            return;
        }

        foreach (Type argument in type.GetGenericArguments())
        {
            Unwrap(argument, into);
        }
    }
}
