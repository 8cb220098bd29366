namespace Clara.Engine.Native; internal static class Placeholder { }
