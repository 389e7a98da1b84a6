using System.Buffers.Binary;
using System.Text;

namespace SmbRoot.Mkinitramfs;

/// <summary>
/// Reads what the initramfs builder needs from a 64-bit little-endian ELF file (elf(5)): the
/// program interpreter, the DT_NEEDED libraries, and the .modinfo section of a kernel module.
/// </summary>
public sealed class ElfFile
{
    private const uint PT_LOAD = 1, PT_DYNAMIC = 2, PT_INTERP = 3;
    private const long DT_NULL = 0, DT_NEEDED = 1, DT_STRTAB = 5;

    private static readonly byte[] ElfMagic = [0x7F, (byte)'E', (byte)'L', (byte)'F'];

    private readonly byte[] _data;

    public string? Interpreter { get; }
    public IReadOnlyList<string> Needed { get; }

    public ElfFile(byte[] data, string name)
    {
        _data = data;
        if (data.Length < 64 || !data.AsSpan(0, 4).SequenceEqual(ElfMagic))
        {
            throw new FormatException($"{name}: not an ELF file");
        }
        if (data[4] != 2 || data[5] != 1) throw new FormatException($"{name}: only 64-bit little-endian ELF is supported");
        var span = data.AsSpan();
        ulong phoff = BinaryPrimitives.ReadUInt64LittleEndian(span[32..]);
        ushort phentsize = BinaryPrimitives.ReadUInt16LittleEndian(span[54..]);
        ushort phnum = BinaryPrimitives.ReadUInt16LittleEndian(span[56..]);

        var loads = new List<(ulong VirtualAddress, ulong Offset, ulong Size)>();
        (ulong Offset, ulong Size)? dynamic = null;
        for (int i = 0; i < phnum; i++)
        {
            var ph = Slice(phoff + (ulong)(i * phentsize), 56, name);
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(ph);
            ulong offset = BinaryPrimitives.ReadUInt64LittleEndian(ph[8..]);
            ulong vaddr = BinaryPrimitives.ReadUInt64LittleEndian(ph[16..]);
            ulong filesz = BinaryPrimitives.ReadUInt64LittleEndian(ph[32..]);
            if (type == PT_INTERP) Interpreter = CString(Slice(offset, filesz, name));
            else if (type == PT_LOAD) loads.Add((vaddr, offset, filesz));
            else if (type == PT_DYNAMIC) dynamic = (offset, filesz);
        }

        var needed = new List<string>();
        if (dynamic is { } dyn)
        {
            var neededOffsets = new List<ulong>();
            ulong? strtab = null;
            for (ulong at = 0; at + 16 <= dyn.Size; at += 16)
            {
                var entry = Slice(dyn.Offset + at, 16, name);
                long tag = BinaryPrimitives.ReadInt64LittleEndian(entry);
                ulong value = BinaryPrimitives.ReadUInt64LittleEndian(entry[8..]);
                if (tag == DT_NULL) break;
                if (tag == DT_NEEDED) neededOffsets.Add(value);
                if (tag == DT_STRTAB) strtab = value;
            }
            if (neededOffsets.Count > 0)
            {
                if (strtab is null) throw new FormatException($"{name}: DT_NEEDED without DT_STRTAB");
                var load = loads.FirstOrDefault(l => strtab >= l.VirtualAddress && strtab < l.VirtualAddress + l.Size);
                if (load == default) throw new FormatException($"{name}: DT_STRTAB is outside every PT_LOAD segment");
                ulong strtabOffset = strtab.Value - load.VirtualAddress + load.Offset;
                foreach (var offset in neededOffsets)
                {
                    needed.Add(CString(Slice(strtabOffset + offset, (ulong)data.Length - strtabOffset - offset, name)));
                }
            }
        }
        Needed = needed;
    }

    /// <summary>The NUL-separated <c>key=value</c> strings of a section, e.g. a module's .modinfo.</summary>
    public IReadOnlyList<(string Key, string Value)> ReadKeyValueSection(string sectionName)
    {
        var span = _data.AsSpan();
        ulong shoff = BinaryPrimitives.ReadUInt64LittleEndian(span[40..]);
        ushort shentsize = BinaryPrimitives.ReadUInt16LittleEndian(span[58..]);
        ushort shnum = BinaryPrimitives.ReadUInt16LittleEndian(span[60..]);
        ushort shstrndx = BinaryPrimitives.ReadUInt16LittleEndian(span[62..]);
        if (shoff == 0 || shstrndx >= shnum) return [];
        var names = Section(shoff, shentsize, shstrndx);
        for (int i = 0; i < shnum; i++)
        {
            var header = Slice(shoff + (ulong)(i * shentsize), 64, "section");
            uint nameOffset = BinaryPrimitives.ReadUInt32LittleEndian(header);
            if (CString(names[(int)Math.Min(nameOffset, (uint)names.Length)..]) != sectionName) continue;
            var content = Section(shoff, shentsize, i);
            return Encoding.UTF8.GetString(content).Split('\0', StringSplitOptions.RemoveEmptyEntries)
                .Select(s => s.Split('=', 2)).Where(p => p.Length == 2).Select(p => (p[0], p[1])).ToArray();
        }
        return [];
    }

    private ReadOnlySpan<byte> Section(ulong shoff, ushort shentsize, int index)
    {
        var header = Slice(shoff + (ulong)(index * shentsize), 64, "section");
        ulong offset = BinaryPrimitives.ReadUInt64LittleEndian(header[24..]);
        ulong size = BinaryPrimitives.ReadUInt64LittleEndian(header[32..]);
        return Slice(offset, size, "section");
    }

    private ReadOnlySpan<byte> Slice(ulong offset, ulong length, string name)
    {
        if (offset > (ulong)_data.Length || length > (ulong)_data.Length - offset)
        {
            throw new FormatException($"{name}: ELF structure points outside the file");
        }
        return _data.AsSpan((int)offset, (int)length);
    }

    private static string CString(ReadOnlySpan<byte> bytes)
    {
        int end = bytes.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? bytes : bytes[..end]);
    }
}
