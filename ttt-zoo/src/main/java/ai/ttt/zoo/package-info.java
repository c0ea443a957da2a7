/**
 * DJL integration of TTT-E2E models: the model zoo (group id {@code ai.ttt}), the block factory
 * named in every model directory's {@code serving.properties}, the translator factory, and the
 * embedded default model.
 */
package ai.ttt.zoo;
