package dev.herald.testing;

/**
 * One broadcast a plugin published through {@link dev.herald.api.plugin.PluginContext#broadcast}, as Herald would
 * have sent it.
 *
 * @param topic the sub-topic, without {@code realtime:}
 * @param privateChannel whether it went to the private channel of that name
 * @param event the broadcast event name
 * @param payload the payload after JSON conversion: maps, lists, strings, numbers, booleans and null, as a client
 *                would decode it
 * @param json the payload as JSON text
 */
public record RecordedBroadcast(String topic, boolean privateChannel, String event, Object payload, String json) {
}
