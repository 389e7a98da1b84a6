namespace SmbRoot.Core.Modules;

/// <summary>fnmatch(3) without flags, as kmod matches modules.alias patterns: '*', '?' and '[...]'.</summary>
public static class Glob
{
    /// <summary>
    /// Iterative matching that only ever backtracks to the last '*': a later star can absorb
    /// whatever an earlier one would have, so this is exact and linear-ish even for the
    /// many-star PCI and USB alias patterns.
    /// </summary>
    public static bool Matches(string pattern, string text)
    {
        int p = 0, t = 0, starP = -1, starT = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                starP = ++p;
                starT = t;
                continue;
            }
            if (p < pattern.Length && MatchOne(pattern, ref p, text[t]))
            {
                t++;
                continue;
            }
            if (starP < 0) return false;
            p = starP;
            t = ++starT;
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }

    /// <summary>Matches one character against the pattern element at <paramref name="p"/> and advances past it on success.</summary>
    private static bool MatchOne(string pattern, ref int p, char c)
    {
        char element = pattern[p];
        if (element == '?')
        {
            p++;
            return true;
        }
        if (element == '[')
        {
            // A ']' right after '[' or '[!' is a member, not the end (fnmatch(3)).
            int first = p + 1 < pattern.Length && pattern[p + 1] is '!' or '^' ? p + 2 : p + 1;
            int close = pattern.IndexOf(']', Math.Min(first + 1, pattern.Length));
            if (close < 0)
            {
                if (c != '[') return false;
                p++;
                return true;
            }
            bool negate = first == p + 2;
            bool found = false;
            for (int k = first; k < close; k++)
            {
                if (k + 2 < close && pattern[k + 1] == '-')
                {
                    if (c >= pattern[k] && c <= pattern[k + 2]) found = true;
                    k += 2;
                }
                else if (pattern[k] == c) found = true;
            }
            if (found == negate) return false;
            p = close + 1;
            return true;
        }
        if (element != c) return false;
        p++;
        return true;
    }
}
