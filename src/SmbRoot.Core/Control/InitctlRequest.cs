using System.Buffers.Binary;

namespace SmbRoot.Core.Control;

/// <summary>
/// sysvinit's request on its /run/initctl FIFO (sysvinit src/initreq.h, struct init_request: 384
/// bytes, magic 0x03091969). "Change to runlevel 0 or 6" is what telinit sends for halt and reboot.
/// </summary>
public static class InitctlRequest
{
    public const int Size = 384;
    private const int Magic = 0x03091969, CommandRunlevel = 1;

    public static byte[] ChangeRunlevel(char runlevel)
    {
        if (runlevel is not ('0' or '1' or '2' or '3' or '4' or '5' or '6' or 'S' or 's'))
        {
            throw new ArgumentOutOfRangeException(nameof(runlevel), runlevel, "not a sysvinit runlevel");
        }
        var request = new byte[Size];
        BinaryPrimitives.WriteInt32LittleEndian(request, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(request.AsSpan(4), CommandRunlevel);
        BinaryPrimitives.WriteInt32LittleEndian(request.AsSpan(8), runlevel);
        return request;
    }
}
