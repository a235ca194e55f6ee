package io.fli.checker.internal;

/**
 * Where in a line a value sits, for error messages. Built lazily: the text is only assembled when a rule is
 * broken, so validating millions of valid lines costs no string building.
 */
final class Where {
    private final Where parent;
    private final String text;
    private final long number;
    private final String tail;

    private Where(Where parent, String text, long number, String tail) {
        this.parent = parent;
        this.text = text;
        this.number = number;
        this.tail = tail;
    }

    static Where of(String text) {
        return new Where(null, text, Long.MIN_VALUE, null);
    }

    /** {@code f type (operation N)}. */
    static Where op(String f, String type, long index) {
        return new Where(null, f + " " + type + " (operation ", index, ")");
    }

    /** {@code operation N}. */
    static Where operation(long index) {
        return new Where(null, "operation ", index, "");
    }

    Where sub(String text) {
        return new Where(this, text, Long.MIN_VALUE, null);
    }

    Where sub(String text, long number, String tail) {
        return new Where(this, text, number, tail);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        append(sb);
        return sb.toString();
    }

    private void append(StringBuilder sb) {
        if (parent != null) {
            parent.append(sb);
        }
        sb.append(text);
        if (number != Long.MIN_VALUE) {
            sb.append(number).append(tail);
        }
    }
}
