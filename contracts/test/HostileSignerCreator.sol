// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Test only: a contract job creator whose EIP-1271 check approves when simulated with a plain
/// `eth_call` (no gas price) and burns all the gas it is given inside a real transaction, the way an attacker
/// would sink the solver's batches. Never deploy it on a real network.
contract HostileSignerCreator {
    /// @notice EIP-1271: magic value in a call with zero gas price, an endless loop otherwise.
    function isValidSignature(bytes32, bytes calldata) external view returns (bytes4) {
        if (tx.gasprice == 0) return 0x1626ba7e;
        uint256 i;
        while (true) {
            i = uint256(keccak256(abi.encode(i)));
        }
        return 0;
    }
}
