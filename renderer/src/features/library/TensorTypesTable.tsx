import type { LibraryModel } from '../../state/models';
import { formatParams } from './modelView';

interface TensorTypesTableProps {
  tensorTypes: LibraryModel['inspection']['tensorTypes'];
}

/** How each family of tensors is stored (attn_q → Q4_K over 24 tensors). */
export function TensorTypesTable({ tensorTypes }: TensorTypesTableProps) {
  if (tensorTypes.length === 0) return null;
  return (
    <details className="detail-section">
      <summary>
        <h3>Quantization by tensor family</h3>
      </summary>
      <div className="table-scroll">
        <table className="table" data-testid="tensor-types">
          <thead>
            <tr>
              <th scope="col">Family</th>
              <th scope="col">Type</th>
              <th scope="col" className="num">
                Tensors
              </th>
              <th scope="col" className="num">
                Parameters
              </th>
            </tr>
          </thead>
          <tbody>
            {tensorTypes.map((t) => (
              <tr key={`${t.family}|${t.type}`}>
                <td className="mono">{t.family}</td>
                <td className="mono">{t.type}</td>
                <td className="num">{t.tensors}</td>
                <td className="num" title={t.parameters.toLocaleString('en-US')}>
                  {formatParams(t.parameters)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}
