using System.Collections.Immutable;
using System.Numerics;
using System.Text;

namespace Clara.Convert.Pickle;

/// <summary>
/// A pickle reader for checkpoints: it builds plain data (dicts, lists, tuples, numbers, strings) and torch
/// tensor descriptions, and nothing else. Globals are checked against <see cref="AllowedGlobals"/> the moment
/// they are named; calls to the allowed ones are fixed constructions in <see cref="TorchCallables"/>.
/// There is no reflection, no code execution and no extension registry.
/// </summary>
internal sealed class RestrictedUnpickler
{
    // Protocol-0/1 text opcodes, INST/OBJ and the extension registry are never written by torch.save;
    // rejecting them keeps the surface small.
    private const int HighestProtocol = 5;

    private readonly PickleInput _input;
    private readonly string _source;
    private readonly Func<object?, object> _persistentLoad;
    private readonly List<object?> _stack = [];
    private readonly Stack<int> _marks = new();
    private readonly Dictionary<long, object?> _memo = [];
    private long _operations;

    /// <param name="input">Positioned at the first opcode; left just past STOP.</param>
    /// <param name="source">Names the file in error messages.</param>
    /// <param name="persistentLoad">Resolves BINPERSID ids (torch's storage references).</param>
    public RestrictedUnpickler(Stream input, string source, Func<object?, object> persistentLoad)
    {
        _input = new PickleInput(input, source);
        _source = source;
        _persistentLoad = persistentLoad;
    }

    public object? Load()
    {
        while (true)
        {
            long at = _input.Position;
            var op = (PickleOpcode)_input.ReadByte();
            try
            {
                // Every opcode builds, stores or references at most one value, so counting opcodes bounds both
                // the values on the stack and the memo entries (a file of BINPUTs builds nothing but memo slots).
                if (++_operations > PickleLimits.MaxObjects) throw PickleLimits.ObjectCountExceeded();
                if (op == PickleOpcode.Stop)
                {
                    if (_stack.Count != 1 || _marks.Count != 0)
                        throw new PickleFormatException($"STOP with {_stack.Count} values on the stack");
                    return _stack[0];
                }
                Execute(op);
            }
            catch (PickleFormatException e) when (!e.Message.StartsWith(_source, StringComparison.Ordinal))
            {
                throw new PickleFormatException($"{_source}: malformed pickle at byte {at} (opcode 0x{(byte)op:x2}): {e.Message}");
            }
        }
    }

    private void Execute(PickleOpcode op)
    {
        switch (op)
        {
            case PickleOpcode.Proto:
                int protocol = _input.ReadByte();
                if (protocol > HighestProtocol) throw new PickleFormatException($"pickle protocol {protocol} is newer than 5");
                break;
            case PickleOpcode.Frame:
                _input.ReadUInt64(); // A framing hint only; the opcodes inside are read as usual.
                break;

            case PickleOpcode.Mark: _marks.Push(_stack.Count); break;
            case PickleOpcode.Pop:
                if (_marks.Count > 0 && _marks.Peek() == _stack.Count) _marks.Pop(); // POP of a MARK is POP_MARK.
                else Pop();
                break;
            case PickleOpcode.PopMark: PopToMark(); break;
            case PickleOpcode.Dup: Push(Peek()); break;

            case PickleOpcode.None: Push(null); break;
            case PickleOpcode.NewTrue: Push(true); break;
            case PickleOpcode.NewFalse: Push(false); break;
            case PickleOpcode.BinInt: Push((long)_input.ReadInt32()); break;
            case PickleOpcode.BinInt1: Push((long)_input.ReadByte()); break;
            case PickleOpcode.BinInt2: Push((long)_input.ReadUInt16()); break;
            case PickleOpcode.Long1: Push(ReadLong(_input.ReadByte())); break;
            case PickleOpcode.Long4: Push(ReadLong(_input.ReadInt32())); break;
            case PickleOpcode.BinFloat: Push(BitConverter.Int64BitsToDouble((long)_input.ReadUInt64BigEndian())); break;

            case PickleOpcode.ShortBinUnicode: Push(ReadUtf8(_input.ReadByte())); break;
            case PickleOpcode.BinUnicode: Push(ReadUtf8(_input.ReadUInt32())); break;
            case PickleOpcode.BinUnicode8: Push(ReadUtf8(_input.ReadInt64Length())); break;
            case PickleOpcode.ShortBinBytes: Push(_input.ReadBytes(_input.ReadByte())); break;
            case PickleOpcode.BinBytes: Push(_input.ReadBytes(_input.ReadUInt32())); break;
            case PickleOpcode.BinBytes8: Push(_input.ReadBytes(_input.ReadInt64Length())); break;
            case PickleOpcode.ShortBinString: Push(ReadLatin1(_input.ReadByte())); break;
            case PickleOpcode.BinString: Push(ReadLatin1(_input.ReadInt32())); break;

            case PickleOpcode.EmptyTuple: Push(PickleTuple.Empty); break;
            case PickleOpcode.Tuple: Push(new PickleTuple(PopToMark().ToImmutableArray())); break;
            case PickleOpcode.Tuple1: Push(TupleOfTop(1)); break;
            case PickleOpcode.Tuple2: Push(TupleOfTop(2)); break;
            case PickleOpcode.Tuple3: Push(TupleOfTop(3)); break;
            case PickleOpcode.EmptyList: Push(new List<object?>()); break;
            case PickleOpcode.List: Push(PopToMark()); break;
            case PickleOpcode.Append:
            {
                var item = Pop();
                PeekAs<List<object?>>("APPEND").Add(item);
                break;
            }
            case PickleOpcode.Appends:
            {
                var items = PopToMark();
                PeekAs<List<object?>>("APPENDS").AddRange(items);
                break;
            }
            case PickleOpcode.EmptyDict: Push(new PickleDict()); break;
            case PickleOpcode.Dict:
            {
                var items = PopToMark();
                var dict = new PickleDict();
                SetItems(dict, items);
                Push(dict);
                break;
            }
            case PickleOpcode.SetItem:
            {
                var value = Pop();
                var key = Pop();
                PeekAs<PickleDict>("SETITEM").Set(key, value);
                break;
            }
            case PickleOpcode.SetItems:
            {
                var items = PopToMark();
                SetItems(PeekAs<PickleDict>("SETITEMS"), items);
                break;
            }

            case PickleOpcode.BinPut: _memo[_input.ReadByte()] = Peek(); break;
            case PickleOpcode.LongBinPut: _memo[_input.ReadUInt32()] = Peek(); break;
            case PickleOpcode.Memoize: _memo[_memo.Count] = Peek(); break;
            case PickleOpcode.BinGet: Push(MemoGet(_input.ReadByte())); break;
            case PickleOpcode.LongBinGet: Push(MemoGet(_input.ReadUInt32())); break;

            case PickleOpcode.Global:
            {
                string module = _input.ReadLine();
                string name = _input.ReadLine();
                Push(AllowedGlobals.Resolve(module, name, _source));
                break;
            }
            case PickleOpcode.StackGlobal:
            {
                var name = Pop() as string ?? throw new PickleFormatException("STACK_GLOBAL name is not a string");
                var module = Pop() as string ?? throw new PickleFormatException("STACK_GLOBAL module is not a string");
                Push(AllowedGlobals.Resolve(module, name, _source));
                break;
            }
            case PickleOpcode.Reduce:
            {
                var args = Pop() as PickleTuple ?? throw new PickleFormatException("REDUCE arguments are not a tuple");
                var callable = Pop() as PickleGlobal
                    ?? throw new PickleFormatException("REDUCE target is not a global");
                Push(TorchCallables.Call(callable, args));
                break;
            }
            case PickleOpcode.NewObj:
            {
                var args = Pop() as PickleTuple ?? throw new PickleFormatException("NEWOBJ arguments are not a tuple");
                var cls = Pop() as PickleGlobal ?? throw new PickleFormatException("NEWOBJ class is not a global");
                Push(TorchCallables.New(cls, args));
                break;
            }
            case PickleOpcode.Build:
            {
                var state = Pop();
                TorchCallables.Build(Peek(), state);
                break;
            }
            case PickleOpcode.BinPersId: Push(_persistentLoad(Pop())); break;

            default:
                throw new PickleFormatException(
                    $"opcode 0x{(byte)op:x2} ('{(op >= (PickleOpcode)0x20 && op < (PickleOpcode)0x7f ? ((char)op).ToString() : "?")}') is not one torch.save writes " +
                    "(text-protocol, object-instantiation, extension-registry and out-of-band opcodes are refused)");
        }
    }

    private static void SetItems(PickleDict dict, List<object?> items)
    {
        if (items.Count % 2 != 0) throw new PickleFormatException("SETITEMS with an odd number of values");
        for (int i = 0; i < items.Count; i += 2) dict.Set(items[i], items[i + 1]);
    }

    private object? MemoGet(long index) =>
        _memo.TryGetValue(index, out var value) ? value : throw new PickleFormatException($"memo slot {index} was never stored");

    private object ReadLong(long byteCount)
    {
        if (byteCount < 0) throw new PickleFormatException("LONG4 with a negative byte count");
        var bytes = _input.ReadBytes(byteCount);
        var value = new BigInteger(bytes, isUnsigned: false, isBigEndian: false);
        return value >= long.MinValue && value <= long.MaxValue ? (object)(long)value : value;
    }

    private string ReadUtf8(long byteCount)
    {
        var bytes = _input.ReadBytes(byteCount);
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new PickleFormatException("a string is not valid UTF-8");
        }
    }

    private string ReadLatin1(long byteCount)
    {
        if (byteCount < 0) throw new PickleFormatException("BINSTRING with a negative length");
        return Encoding.Latin1.GetString(_input.ReadBytes(byteCount));
    }

    private PickleTuple TupleOfTop(int count)
    {
        if (_stack.Count - count < CurrentMarkFloor) throw new PickleFormatException($"TUPLE{count} needs {count} values on the stack");
        var items = _stack.GetRange(_stack.Count - count, count).ToImmutableArray();
        _stack.RemoveRange(_stack.Count - count, count);
        return new PickleTuple(items);
    }

    private int CurrentMarkFloor => _marks.Count > 0 ? _marks.Peek() : 0;

    private List<object?> PopToMark()
    {
        if (_marks.Count == 0) throw new PickleFormatException("no MARK to pop to");
        int mark = _marks.Pop();
        var items = _stack.GetRange(mark, _stack.Count - mark);
        _stack.RemoveRange(mark, _stack.Count - mark);
        return items;
    }

    private void Push(object? value) => _stack.Add(value);

    private object? Pop()
    {
        if (_stack.Count <= CurrentMarkFloor) throw new PickleFormatException("stack underflow");
        var value = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return value;
    }

    private object? Peek()
    {
        if (_stack.Count <= CurrentMarkFloor) throw new PickleFormatException("stack underflow");
        return _stack[^1];
    }

    private T PeekAs<T>(string opcode) where T : class =>
        Peek() as T ?? throw new PickleFormatException($"{opcode} applied to {PickleText.Describe(Peek())}");
}
