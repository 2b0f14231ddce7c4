package dev.herald.runtime.cdc.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

class FilterParserTest {

    private static Condition only(String filter) throws FilterException {
        List<Condition> cs = FilterParser.parse(filter);
        assertEquals(1, cs.size(), "conditions of " + filter);
        return cs.get(0);
    }

    private static String error(String filter) {
        return assertThrows(FilterException.class, () -> FilterParser.parse(filter)).getMessage();
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", "   ", "\t\n "})
    void blankMeansNoFilter(String filter) throws FilterException {
        assertEquals(List.of(), FilterParser.parse(filter));
    }

    @Test
    void simpleCondition() throws FilterException {
        assertEquals(new Condition("id", "eq", false, "5"), only("id=eq.5"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"eq", "neq", "lt", "lte", "gt", "gte", "like", "ilike", "is", "match", "imatch", "isdistinct"})
    void everyOperatorParsesPlainAndNegated(String op) throws FilterException {
        assertEquals(new Condition("c", op, false, "v"), only("c=" + op + ".v"));
        assertEquals(new Condition("c", op, true, "v"), only("c=not." + op + ".v"));
    }

    @Test
    void conditionsAreAndedInOrder() throws FilterException {
        assertEquals(List.of(new Condition("id", "gt", false, "0"), new Condition("id", "lt", false, "100")),
                FilterParser.parse("id=gt.0,id=lt.100"));
    }

    @Test
    void segmentsAreTrimmedButColumnAndValueAreNot() throws FilterException {
        assertEquals(List.of(new Condition("id", "eq", false, "1"), new Condition("name", "eq", false, "x")),
                FilterParser.parse("  id=eq.1 ,  name=eq.x  "));
        assertEquals(new Condition("id ", "eq", false, " 1"), only("id =eq. 1"));
    }

    @Test
    void splitsAtFirstEqualsAndFirstDot() throws FilterException {
        assertEquals(new Condition("a", "eq", false, "b=c"), only("a=eq.b=c"));
        assertEquals(new Condition("price", "gt", false, "1.5"), only("price=gt.1.5"));
        assertEquals(new Condition("t", "eq", false, "12:30:00"), only("t=eq.12:30:00"));
    }

    @Test
    void valuesKeepUnquotedSpecialCharactersVerbatim() throws FilterException {
        assertEquals("O'Brien \"x\"", only("name=eq.O'Brien \"x\"").value());
        assertEquals(new Condition("name", "neq", true, "a'b"), only("name=not.neq.a'b"));
        assertEquals("hel%", only("details=like.hel%").value());
    }

    @Test
    void closingParenthesesWithoutOpeningOneDoNotBreakSplitting() throws FilterException {
        assertEquals(List.of(new Condition("a", "eq", false, "x)"), new Condition("b", "eq", false, "y)"),
                new Condition("c", "eq", false, "z")), FilterParser.parse("a=eq.x),b=eq.y),c=eq.z"));
    }

    @Test
    void commaInsideParenthesesDoesNotSplit() throws FilterException {
        assertEquals(List.of(new Condition("a", "eq", false, "f(x,y)"), new Condition("b", "eq", false, "1")),
                FilterParser.parse("a=eq.f(x,y),b=eq.1"));
    }

    // ---- quoting -------------------------------------------------------------------------------------------------

    @Test
    void quotedValueMayContainComma() throws FilterException {
        assertEquals(new Condition("name", "eq", false, "a,b"), only("name=eq.\"a,b\""));
        assertEquals(List.of(new Condition("name", "eq", false, "a,b"), new Condition("id", "gt", false, "0")),
                FilterParser.parse("name=eq.\"a,b\",id=gt.0"));
    }

    @Test
    void quotedValueMayContainPeriodColonAndParentheses() throws FilterException {
        assertEquals("a.b:c(d)", only("name=eq.\"a.b:c(d)\"").value());
        assertEquals("(", only("name=eq.\"(\"").value());
        assertEquals(")", only("name=eq.\")\"").value());
        assertEquals(List.of(new Condition("n", "eq", false, "x)"), new Condition("m", "eq", false, "(y")),
                FilterParser.parse("n=eq.\"x)\",m=eq.\"(y\""));
    }

    @Test
    void backslashEscapesInsideQuotes() throws FilterException {
        assertEquals("she said \"hi\"", only("name=eq.\"she said \\\"hi\\\"\"").value());
        assertEquals("C:\\tmp", only("path=eq.\"C:\\\\tmp\"").value());
        assertEquals("C:new", only("path=eq.\"C:\\new\"").value());
        // an escaped quote does not end the quoted part, so the comma stays inside
        assertEquals(List.of(new Condition("a", "eq", false, "x\",y"), new Condition("b", "eq", false, "1")),
                FilterParser.parse("a=eq.\"x\\\",y\",b=eq.1"));
    }

    @Test
    void quotedValueWithNegation() throws FilterException {
        assertEquals(new Condition("name", "neq", true, "a,b"), only("name=not.neq.\"a,b\""));
    }

    @Test
    void emptyAndWhitespaceQuotedValues() throws FilterException {
        assertEquals("", only("name=eq.\"\"").value());
        assertEquals(" a ", only("name=eq.\" a \"").value());
    }

    @Test
    void malformedQuotingFallsBackToTheLiteralValue() throws FilterException {
        assertEquals("\"unterminated", only("name=eq.\"unterminated").value());
        assertEquals("\"ab\"cd", only("name=eq.\"ab\"cd").value());
        assertEquals("\"abc\\", only("name=eq.\"abc\\").value());
        assertEquals("\"", only("name=eq.\"").value());
    }

    @Test
    void quoteInsideAWordDoesNotProtectAComma() throws FilterException {
        assertEquals(List.of(new Condition("desc", "eq", false, "5\" tall"), new Condition("id", "gt", false, "0")),
                FilterParser.parse("desc=eq.5\" tall,id=gt.0"));
    }

    @Test
    void unterminatedQuoteSwallowsTheRestOfTheFilter() throws FilterException {
        assertEquals("\"a,b=eq.1", only("a=eq.\"a,b=eq.1").value());
    }

    // ---- in lists ------------------------------------------------------------------------------------------------

    @Test
    void inListBecomesArrayLiteralAndElements() throws FilterException {
        Condition c = only("id=in.(1,2,3)");
        assertEquals("in", c.operator());
        assertEquals("{1,2,3}", c.value());
        assertEquals(List.of("1", "2", "3"), c.inValues());
        assertFalse(c.negated());
        assertTrue(only("id=not.in.(1)").negated());
    }

    @Test
    void inValuesIsNullForOtherOperators() throws FilterException {
        assertNull(only("id=eq.1").inValues());
    }

    @Test
    void inListNextToOtherConditions() throws FilterException {
        List<Condition> cs = FilterParser.parse("name=in.(red,blue),quantity=gt.0,status=in.(a,b)");
        assertEquals(3, cs.size());
        assertEquals(List.of("red", "blue"), cs.get(0).inValues());
        assertEquals("0", cs.get(1).value());
        assertEquals(List.of("a", "b"), cs.get(2).inValues());
    }

    @Test
    void inListElementsMayBeQuoted() throws FilterException {
        Condition c = only("tags=in.(\"a,b\",c)");
        assertEquals("{\"a,b\",c}", c.value());
        assertEquals(List.of("a,b", "c"), c.inValues());
        assertEquals(List.of("a,b", "c,d"), only("tags=in.(\"a,b\",\"c,d\")").inValues());
        assertEquals(List.of("f(x)", ")", "a.b:c", "say \"hi\"", "back\\slash"),
                only("t=in.(\"f(x)\",\")\",\"a.b:c\",\"say \\\"hi\\\"\",\"back\\\\slash\")").inValues());
    }

    @Test
    void inListElementsFollowArrayLiteralRules() throws FilterException {
        assertEquals(List.of("a", "b c", "d"), only("t=in.( a , b c ,d )").inValues());
        assertEquals(List.of(" padded "), only("t=in.(\" padded \")").inValues());
        assertEquals(List.of("O'Brien", "Smith"), only("name=in.(O'Brien,Smith)").inValues());
        assertEquals(List.of("a,b"), only("t=in.(a\\,b)").inValues());
        assertEquals(List.of(), only("t=in.()").inValues());
        assertEquals(List.of(), only("t=in.( )").inValues());
    }

    @Test
    void unquotedNullElementIsSqlNull() throws FilterException {
        assertEquals(Arrays.asList("1", null, null), only("id=in.(1,NULL,null)").inValues());
        assertEquals(List.of("NULL"), only("t=in.(\"NULL\")").inValues());
        assertEquals(List.of("NULL"), only("t=in.(\\NULL)").inValues());
    }

    @Test
    void inListAcceptsUpToOneHundredElements() throws FilterException {
        List<String> nums = new ArrayList<>();
        for (int i = 0; i < 100; i++) nums.add(Integer.toString(i));
        assertEquals(100, only("id=in.(" + String.join(",", nums) + ")").inValues().size());
        nums.add("100");
        assertEquals("too many values for `in` filter. Maximum 100",
                error("id=in.(" + String.join(",", nums) + ")"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"id=in.1,2", "id=in.(1,2", "id=in.1,2)", "id=in.", "id=in.(", "id=in.\"(1)\"", "id=in.[1,2]"})
    void inListMustBeParenthesised(String filter) {
        assertEquals("`in` filter value must be wrapped by parentheses", error(filter));
    }

    @ParameterizedTest
    @ValueSource(strings = {"id=in.(1,,2)", "id=in.(1,)", "id=in.(,1)", "t=in.(a\"b)", "t=in.(\"a\"b)", "t=in.({1})",
            "t=in.(\"open)"})
    void malformedInListsAreRejected(String filter) {
        assertTrue(error(filter).startsWith("malformed array literal: \"{"), filter);
    }

    // ---- errors --------------------------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"id=gt.0,", ",id=gt.0", "a=eq.1,,b=eq.2", "a=eq.1, ,b=eq.2", ",", "a=eq.1,,"})
    void emptySegmentsAreRejected(String filter) {
        assertEquals("filter must not contain empty segments (check for extra commas)", error(filter));
    }

    @Test
    void unsplittableConditionsAreReportedWhole() {
        assertEquals("Error parsing `filter` params: [\"wrong\"]", error("wrong"));
        assertEquals("Error parsing `filter` params: [\"undefined\"]", error("undefined"));
        assertEquals("Error parsing `filter` params: [\"eq\"]", error("id=eq"));
        assertEquals("Error parsing `filter` params: [\"\"]", error("id="));
        assertEquals("Error parsing `filter` params: [\"\"]", error("id=not."));
        assertEquals("Error parsing `filter` params: [\"wrong\"]", error("id=eq.1,wrong"));
    }

    @Test
    void unknownOperatorsAreReportedWithTheirValue() {
        assertEquals("Error parsing `filter` params: [\"foo\", \"hey\"]", error("subject=foo.hey"));
        assertEquals("Error parsing `filter` params: [\"foo\", \"100\"]", error("id=gt.0,id=foo.100"));
        assertEquals("Error parsing `filter` params: [\"foo\", \"1\"]", error("id=not.foo.1"));
        assertEquals("Error parsing `filter` params: [\"not\", \"eq.1\"]", error("id=not.not.eq.1"));
        assertEquals("Error parsing `filter` params: [\"EQ\", \"1\"]", error("id=EQ.1"));
        assertEquals("Error parsing `filter` params: [\"foo\", \"a\\\"b\\\\c\"]", error("x=foo.a\"b\\c"));
    }

    @Test
    void errorPiecesAreRenderedLikeElixirInspect() {
        assertEquals("\"plain\"", FilterParser.inspect("plain"));
        assertEquals("\"tab\\tnl\\n\"", FilterParser.inspect("tab\tnl\n"));
        assertEquals("\"\\#{x} #y\"", FilterParser.inspect("#{x} #y"));
        assertEquals("\"héllo ✓\"", FilterParser.inspect("héllo ✓"));
        assertEquals("<<97, 0>>", FilterParser.inspect("a\0"));
        assertEquals("<<194, 128>>", FilterParser.inspect("\u0080"));
    }

    @Test
    void conditionsRenderLikeTheReferenceErrorDump() throws FilterException {
        assertEquals("[{\"notacolumn\", \"eq\", \"123\", false}, {\"id\", \"in\", \"{1,2}\", true}]",
                FilterParser.inspect(FilterParser.parse("notacolumn=eq.123,id=not.in.(1,2)")));
    }

    @Test
    void conditionRecordGuardsInValues() {
        assertThrows(IllegalArgumentException.class, () -> new Condition("a", "in", false, "{1}", null));
        assertThrows(IllegalArgumentException.class, () -> new Condition("a", "eq", false, "1", List.of("1")));
        Condition c = new Condition("a", "in", false, "{1,NULL}", Arrays.asList("1", null));
        assertThrows(UnsupportedOperationException.class, () -> c.inValues().add("2"));
    }
}
