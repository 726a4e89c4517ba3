import { ENGINE_DESCRIPTIONS, ENGINE_LABELS, ENGINE_NAMES, type EngineName } from "@/lib/engines/names";
import { ChoiceGroup } from "./choice-group";
import { FormSection } from "./form-section";

/**
 * Who works this repository's tasks: the Patchbay agent, Codex CLI or Claude Code. A task can still pick another
 * in the composer. The CLIs run inside the same sandbox and reach their model only through Patchbay's gateway.
 */
export function EngineSection({ value, defaultEngine, onChange }: { value: EngineName; defaultEngine: EngineName; onChange: (engine: EngineName) => void }) {
  return (
    <FormSection
      title="Engine"
      description="The agent that works tasks on this repository unless a task picks another. Every engine runs in the same sandbox, with the same log, diff and pull request; the model key stays on the server."
    >
      <ChoiceGroup
        legend="Default engine"
        value={value}
        onChange={onChange}
        columns={3}
        choices={ENGINE_NAMES.map((name) => ({
          value: name,
          label: name === defaultEngine ? `${ENGINE_LABELS[name]} (server default)` : ENGINE_LABELS[name],
          hint: ENGINE_DESCRIPTIONS[name],
        }))}
      />
    </FormSection>
  );
}
