using System.Globalization;

namespace SmbRoot.Core.Admin;

/// <summary>
/// e2fsck's progress, as it writes it to the descriptor -C names: "PASS DONE TOTAL DEVICE" per
/// line. The passes take very different shares of the time, so the fraction weighs them as
/// e2fsck's own bar does (e2fsck/unix.c, e2fsck_tbl: pass 1 up to 70 %, 2 to 90, 3 to 92, 4 to 95, 5 to 100).
/// </summary>
public static class FsckProgress
{
    private static readonly double[] PassEnds = [0, 0.70, 0.90, 0.92, 0.95, 1.00];

    /// <summary>How far the check is (0 to 1), or null when the line is one of e2fsck's messages.</summary>
    public static double? Fraction(string line)
    {
        string[] words = line.Split(' ', 4);
        if (words.Length < 3
            || !int.TryParse(words[0], NumberStyles.None, CultureInfo.InvariantCulture, out int pass) || pass is < 1 or > 5
            || !long.TryParse(words[1], NumberStyles.None, CultureInfo.InvariantCulture, out long done)
            || !long.TryParse(words[2], NumberStyles.None, CultureInfo.InvariantCulture, out long total) || total <= 0)
        {
            return null;
        }
        double within = Math.Min(1, (double)done / total);
        return PassEnds[pass - 1] + within * (PassEnds[pass] - PassEnds[pass - 1]);
    }
}
