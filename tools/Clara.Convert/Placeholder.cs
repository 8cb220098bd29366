namespace Clara.Convert; internal static class Placeholder { }
