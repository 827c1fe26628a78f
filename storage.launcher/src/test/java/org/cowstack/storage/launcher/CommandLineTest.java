package org.cowstack.storage.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;

import org.jline.reader.EOFError;
import org.jline.reader.Parser.ParseContext;
import org.junit.jupiter.api.Test;

/** The console's line splitting and continuation, without a terminal. */
class CommandLineTest {
    private final GogoLineParser parser = new GogoLineParser();

    private static CommandLine at(String line) {
        return CommandLine.split(line, line.length());
    }

    @Test
    void wordsOfTheStatementAtTheCursorWithQuotesRemoved() {
        CommandLine line = at("storage:csum; storage:io default /f 'pwrite -S 0xab 0 4k' \"md5");
        assertEquals(List.of("storage:io", "default", "/f", "pwrite -S 0xab 0 4k", "md5"), line.words());
        assertEquals(4, line.wordIndex());
        assertEquals("md5", line.word());
        assertEquals('"', line.quote());
    }

    @Test
    void aNewWordAfterBlanksAndAfterAPipe() {
        CommandLine df = at("storage:df ");
        assertEquals(List.of("storage:df", ""), df.words());
        assertEquals(1, df.wordIndex());
        CommandLine piped = at("lb | ");
        assertEquals(List.of(""), piped.words());
        assertEquals(0, piped.wordIndex());
        CommandLine closure = at("each [1 2] { sto");
        assertEquals(List.of("sto"), closure.words());
        CommandLine after = at("each [1 2] { echo $it } ");
        assertEquals(List.of("each", "]", "}", ""), after.words(), "closed compounds are one word each");
    }

    @Test
    void insideAnOpenQuoteTheWordStartsAfterItAndACompleteCandidateClosesIt() {
        CommandLine line = at("storage:io default /f \"pw");
        assertEquals("pw", line.word());
        assertEquals(2, line.wordCursor());
        assertEquals(2, line.rawWordCursor(), "the quote stays: only what follows it is replaced");
        assertEquals("pwrite\"", line.escape("pwrite", true).toString());
        assertEquals("pwrite -S", line.escape("pwrite -S", false).toString());
        assertEquals("say \\\"hi\\\"", line.escape("say \"hi\"", false).toString(), "escaped as the quote needs");
        CommandLine single = at("echo 'it");
        assertEquals("it'\"'\"'s'", single.escape("it's", true).toString(), "Gogo's single quotes have no escapes");
    }

    @Test
    void unquotedCandidatesAreQuotedWhenGogoWouldReadThemOtherwise() {
        CommandLine line = at("storage:mount v file:");
        assertEquals("file:a.img", line.escape("file:a.img", true).toString());
        assertEquals("'file:a.img?direct=true'", line.escape("file:a.img?direct=true", true).toString());
        assertEquals("'/with space/", line.escape("/with space/", false).toString(), "an unfinished word stays open");
        assertEquals("'//x'", line.escape("//x", true).toString(), "// would start a comment");
    }

    @Test
    void theRestOfTheWordUnderTheCursorIsReplacedToo() {
        String text = "storage:csum more";
        CommandLine line = CommandLine.split(text, 9);
        assertEquals("storage:csum", line.word());
        assertEquals(9, line.wordCursor());
        assertEquals(9, line.rawWordCursor());
        assertEquals(12, line.rawWordLength());
        CommandLine quoted = CommandLine.split("io v /f \"pwr\" x", 12);
        assertEquals("pwr", quoted.word());
        assertEquals(4, quoted.rawWordLength(), "up to and with the closing quote, which escape() writes again");
    }

    @Test
    void commentsCompleteNothing() {
        assertTrue(at("# storage:cs").inComment());
        assertTrue(at("storage:csum // a note").inComment());
        assertTrue(!at("storage:csum\nstor").inComment());
    }

    @Test
    void openQuotesBracesBracketsAndPipesContinueTheLineOtherErrorsAreAccepted() {
        for (String open : List.of("echo \"open", "echo 'open", "each [1 2] {", "x = [1 2", "lb |", "echo (")) {
            EOFError e = assertThrows(EOFError.class, () -> parser.parse(open, open.length(), ParseContext.ACCEPT_LINE),
                    open);
            assertTrue(e.getMissing() != null && !e.getMissing().isBlank(), open);
        }
        assertNull(GogoLineParser.missing("echo \"closed\"; each [1 2] { echo $it }"));
        parser.parse("echo ) oops", 11, ParseContext.ACCEPT_LINE); // a syntax error is reported when it runs
        parser.parse("echo \"open", 3, ParseContext.COMPLETE); // completion never continues
    }

    @Test
    void aLineOfAHundredThousandCharactersAndRandomInputNeverFail() {
        String longLine = "echo " + "x".repeat(100_000);
        assertNull(GogoLineParser.missing(longLine));
        assertEquals(1, at(longLine).wordIndex());
        String longQuote = "echo \"" + "y".repeat(100_000);
        assertEquals("dquote", GogoLineParser.missing(longQuote));
        Random random = new Random(15);
        String alphabet = "ab:/ \t\n\"'\\{}()[]|;&$#=<>-*?";
        for (int round = 0; round < 20_000; round++) {
            StringBuilder b = new StringBuilder();
            for (int n = random.nextInt(30); n > 0; n--) {
                b.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            String text = b.toString();
            int cursor = random.nextInt(text.length() + 2);
            for (ParseContext context : ParseContext.values()) {
                try {
                    CommandLine line = (CommandLine) parser.parse(text, cursor, context);
                    line.escape("a b'c\"d", random.nextBoolean());
                    assertTrue(line.wordIndex() >= 0 && line.wordIndex() < line.words().size(), text);
                    assertTrue(line.rawWordCursor() >= 0 && line.rawWordCursor() <= line.rawWordLength(), text);
                    assertTrue(line.wordCursor() <= line.word().length(), text);
                } catch (EOFError e) {
                    assertTrue(context == ParseContext.ACCEPT_LINE || context == ParseContext.SECONDARY_PROMPT, text);
                }
            }
        }
    }
}
