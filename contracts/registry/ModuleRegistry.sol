// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IModuleRegistry} from "../interfaces/IModuleRegistry.sol";

/// @title Module registry, built into the market so that `openDeal` checks the block list with one SLOAD
/// instead of an external call.
abstract contract ModuleRegistry is IModuleRegistry, Ownable {
    mapping(bytes32 nameHash => address) private _nameOwner;
    mapping(bytes32 nameVersionHash => bytes32) private _modules;
    mapping(bytes32 moduleId => bool) private _blocked;

    /// @inheritdoc IModuleRegistry
    function publishModule(string calldata name, string calldata version, bytes32 moduleId) external {
        if (!_isValidName(bytes(name)) || !_isValidName(bytes(version))) revert InvalidModuleName();
        if (moduleId == bytes32(0)) revert InvalidModuleId();
        bytes32 nameHash = keccak256(bytes(name));
        address owner_ = _nameOwner[nameHash];
        if (owner_ == address(0)) _nameOwner[nameHash] = msg.sender;
        else if (owner_ != msg.sender) revert NameTaken(name, owner_);
        bytes32 key = _versionKey(name, version);
        if (_modules[key] != bytes32(0)) revert VersionExists(name, version);
        _modules[key] = moduleId;
        emit ModulePublished(name, version, moduleId, msg.sender);
    }

    /// @inheritdoc IModuleRegistry
    function resolveModule(string calldata name, string calldata version) external view returns (bytes32) {
        return _modules[_versionKey(name, version)];
    }

    /// @inheritdoc IModuleRegistry
    function setModuleBlocked(bytes32 moduleId, bool blocked, string calldata reason) external onlyOwner {
        _blocked[moduleId] = blocked;
        emit ModuleBlockStatusChanged(moduleId, blocked, reason);
    }

    /// @inheritdoc IModuleRegistry
    function isModuleBlocked(bytes32 moduleId) public view returns (bool) {
        return _blocked[moduleId];
    }

    function _versionKey(string calldata name, string calldata version) private pure returns (bytes32) {
        return keccak256(abi.encode(name, version));
    }

    function _isValidName(bytes calldata s) private pure returns (bool) {
        if (s.length == 0 || s.length > 64) return false;
        for (uint256 i; i < s.length; ++i) {
            bytes1 c = s[i];
            bool ok = (c >= "a" && c <= "z") || (c >= "0" && c <= "9") || c == "." || c == "_" || c == "-";
            if (!ok) return false;
        }
        return true;
    }
}
